"""The demo seeder: realistic reports across administrations, states and commodity categories."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F

from apps.core.caches import process_caches_clear
from apps.reference.models import CommodityCategory
from apps.reports import catalogue
from apps.reports.attributes import validate_attributes
from apps.reports.choices import ReportStatus
from apps.reports.duplicates import find_duplicate_candidates
from apps.reports.models import DuplicateCandidate, Report, ReportItem, ReviewEvent, RouteCountry
from apps.reports.selectors import report_list
from demo.reports import CATEGORIES, copy_rows, ensure_vocabulary, layout, layouts, seed_reports


@pytest.fixture
def seeded(alice, bob, dmitri, erin, farid):
    made, seconds = seed_reports(count=600, rng_seed=7)
    assert made == 600
    assert seconds > 0
    return Report.objects.all()


def test_it_spreads_reports_over_every_administration_state_and_category(seeded, france, germany, kazakhstan):
    assert seeded.count() == 600
    assert set(seeded.values_list("administration__code", flat=True)) == {"fr", "de", "kz"}
    assert set(seeded.values_list("status", flat=True)) == set(ReportStatus)
    assert set(ReportItem.objects.values_list("commodity_category__code", flat=True)) == set(CATEGORIES)
    assert not seeded.exclude(country_of_seizure__in=["FR", "DE", "KZ"]).exists()
    assert len(set(seeded.values_list("national_reference", flat=True))) == 600


def test_every_report_has_items_and_a_route_from_an_origin(seeded):
    assert not seeded.filter(items__isnull=True).exists()
    assert not seeded.exclude(route__role="origin", route__sequence=1).exists()
    assert RouteCountry.objects.count() >= 2 * 600
    assert not ReportItem.objects.filter(quantity__lte=0).exists()
    assert not ReportItem.objects.filter(normalised_quantity__isnull=True).exists()


def test_most_routes_say_where_the_goods_left_from_right_after_the_origin(seeded):
    departures = RouteCountry.objects.filter(role="departure")
    # Seven reports in ten get a departure step, unless it would be the country of seizure itself.
    assert 0.4 * 600 < departures.count() < 0.8 * 600
    assert not departures.exclude(sequence=2).exists()
    assert not departures.filter(country=F("report__country_of_seizure")).exists()
    assert departures.values("report").distinct().count() == departures.count()


def test_the_workflow_fields_match_each_state(seeded, erin, farid):
    assert not seeded.filter(status=ReportStatus.DRAFT, submitted_at__isnull=False).exists()
    assert not seeded.exclude(status=ReportStatus.DRAFT).filter(submitted_at__isnull=True).exists()
    approved = seeded.filter(status=ReportStatus.APPROVED)
    assert set(approved.values_list("approved_by__username", flat=True)) == {"erin", "farid"}
    assert ReviewEvent.objects.filter(transition="approve").count() >= approved.count()
    assert not ReviewEvent.objects.filter(report__status=ReportStatus.DRAFT).exists()


def test_near_duplicates_are_seeded_and_found_by_the_detector(seeded):
    pairs = list(DuplicateCandidate.objects.select_related("report", "candidate"))
    assert pairs
    for pair in pairs:
        assert pair.candidate_id in find_duplicate_candidates(pair.report)


def test_seeded_reports_are_searchable_and_visible_through_the_selectors(seeded, alice, erin):
    assert not seeded.filter(search_vector__isnull=True).exists()
    assert report_list(user=alice, filters={"q": "cigarettes"}).exists()
    assert not report_list(user=erin).filter(status=ReportStatus.DRAFT).exists()


def test_it_reuses_vocabulary_rows_it_finds(alice):
    from tests.builders import EnforcementAreaFactory

    CommodityCategory.objects.update_or_create(
        code="DRUGS",
        defaults={"label": "Drugs (national list)", "enforcement_area": EnforcementAreaFactory.create(code="DRUGS")},
    )
    seed_reports(count=30, rng_seed=1)
    assert CommodityCategory.objects.filter(code="DRUGS").count() == 1
    assert CommodityCategory.objects.get(code="DRUGS").label == "Drugs (national list)"


def test_seeded_attributes_are_valid_for_their_commodity_types(seeded):
    for item in ReportItem.objects.select_related("commodity_type"):
        assert item.commodity_type is not None
        assert validate_attributes(item.commodity_type.attributes_schema, item.attributes) == {}


def test_it_refuses_to_seed_without_administrations(db):
    with pytest.raises(ValueError, match="no administration"):
        seed_reports(count=10)


def test_the_command_prints_count_time_and_rate(alice):
    out = io.StringIO()
    call_command("seed_reports", "40", "--workers", "1", stdout=out)
    assert re.fullmatch(r"seeded 40 reports in \d+\.\d\d s \(\d+ reports/s\)\n", out.getvalue())
    assert Report.objects.count() == 40


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_each_use_their_own_connection(alice, bob):
    made, _seconds = seed_reports(count=5100, rng_seed=2, workers=2)
    assert made == Report.objects.count() == 5100


# --- the columns come from the field catalogue ----------------------------------------------------


@pytest.mark.parametrize("part", ["report", *catalogue.ROW_PARTS])
def test_each_part_is_written_in_the_catalogues_columns(part):
    model = catalogue.part(part).model
    written = layouts()[part]
    # Every column of the table, in the catalogue's order, after the row's own key (a report's id is taken
    # from its sequence by the seeder) or its report; only the search vector is computed on insert.
    columns = {field.name: field.column for field in model._meta.concrete_fields}
    in_catalogue = [columns[name] for name in catalogue.names(part, editable=None) if name in columns]
    key = "id" if part == "report" else "report_id"
    assert written.columns == (key, *(column for column in in_catalogue if column != "search_vector"))
    assert set(written.columns) == set(columns.values()) - {"search_vector"} - ({"id"} if part != "report" else set())


def test_a_field_the_catalogue_gains_is_written_without_a_seeder_change(monkeypatch):
    route = catalogue.part("route")
    before = dataclasses.replace(route, fields=tuple(f for f in route.fields if f.name != "unlocode"))
    monkeypatch.setitem(catalogue.PARTS, "route", before)
    process_caches_clear()  # the catalogue's field lists are computed once per process
    assert "unlocode" not in layout("route").columns
    monkeypatch.setitem(catalogue.PARTS, "route", route)
    process_caches_clear()
    after = layout("route")
    assert after.columns[-1] == "unlocode"
    # The seeder does not generate it: the row gets the model's default (blank text).
    row = after.row({"report": 1, "sequence": 1, "role": "origin", "country": "FR"})
    assert dict(zip(after.names, row, strict=True))["unlocode"] == ""


def test_a_field_without_default_the_seeder_leaves_out_is_named():
    with pytest.raises(RuntimeError, match=r"does not write RouteCountry\.sequence, which has no default"):
        layout("route").row({"report": 1, "role": "origin", "country": "FR"})


def test_fields_left_out_are_copied_with_their_model_defaults(alice):
    seed_reports(count=1)
    report = Report.objects.get()
    ReportItem.objects.filter(report=report).delete()
    vocabulary = ensure_vocabulary()
    items = layouts()["item"]
    values = {
        "report": report.pk,
        "commodity_category": vocabulary.categories["DRUGS"],
        "quantity": 5,
        "unit": vocabulary.units["KGM"].pk,
    }
    with connection.cursor() as wrapper:
        copy_rows(wrapper.cursor, ReportItem._meta.db_table, items.columns, [items.row(values)])
    item = ReportItem.objects.get(report=report)
    assert item.attributes == {}  # a callable default (dict), adapted for COPY
    assert item.genuineness == "unknown"  # a constant default
    assert item.position == 1
    assert item.commodity_type is None
    assert item.description == ""
