"""The possible duplicates an upload flags are those the rule of :mod:`apps.reports.duplicates` finds when a report
is submitted: the upload compares in memory (items bucketed by country, commodity, day and measure, bisected by
quantity), the submission in SQL; both are run on the same recorded reports and their answers compared, at the
edges of the rule's window and tolerance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.reference.models import CommodityType, Unit
from apps.reports.duplicates import find_duplicate_candidates
from apps.reports.models import Report
from apps.uploads.candidates import GATHERED, NAMED, Compared
from apps.uploads.checking import check_records
from apps.uploads.choices import ProblemKind
from apps.uploads.models import UploadProblem
from apps.uploads.reading import read_upload
from apps.uploads.services import upload_check
from tests.builders import build_report, cigarettes, cocaine, vocabulary

from .engine import csv_bytes, csv_row, send
from .records import NoProgress, item, report, sheet

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 14)
# Around 200,000 sticks: the tolerance's edges (10 %: 180,000 and 220,000 match) and just beyond them.
STICKS = (179_999, 180_000, 200_000, 220_000, 220_001)
# Around 3 kg: in kilograms and in grams (the same mass), and just beyond the tolerance.
COCAINE = (("KGM", "2.7"), ("KGM", "3.31"), ("GRM", "3000"), ("GRM", "3301"))
# In a unit that is not normalised: compared with the same unit only.
BALES = (("ZZO", "3"), ("ZZO", "3.5"), ("KGM", "3.05"))


def _recorded(alice) -> None:
    gram, _ = Unit.objects.get_or_create(
        code="GRM", defaults={"label": "Gram", "dimension": Unit.Dimension.MASS, "factor": Decimal("0.001")}
    )
    other, _ = Unit.objects.get_or_create(code="ZZO", defaults={"label": "Bale", "dimension": Unit.Dimension.OTHER})
    units = {"KGM": vocabulary()["KGM"], "GRM": gram, "ZZO": other}
    for sticks in STICKS:
        for offset in (-2, -1, 0, 1, 2):
            build_report(
                by=alice,
                reference=f"R-{sticks}-{offset:+d}",
                seizure_date=DAY + dt.timedelta(days=offset),
                items=[cigarettes(sticks)],
                conveyances=[],
            )
    for name, unit, quantity in [*(("COCAINE", *entry) for entry in COCAINE), *(("BALES", *entry) for entry in BALES)]:
        build_report(
            by=alice,
            reference=f"R-{name}-{quantity}{unit}",
            items=[{**cocaine(quantity), "unit": units[unit]}],
            conveyances=[],
        )


def test_an_upload_flags_the_recorded_reports_the_submission_rule_finds(alice):
    _recorded(alice)
    outcome = check_records(
        [
            *sheet("report", report("UP-STICKS"), report("UP-COCAINE"), report("UP-BALES")),
            *sheet(
                "item",
                item("UP-STICKS"),
                item("UP-COCAINE", commodity_type="cocaine", unit="KGM", quantity="3"),
                item("UP-BALES", commodity_type="cocaine", unit="ZZO", quantity="3"),
            ),
        ],
        actor=alice,
        variant="simplified",
        progress=NoProgress(),
    )
    assert {p.national_reference for p in outcome.problems if p.kind == ProblemKind.DUPLICATE} == {
        "UP-STICKS",
        "UP-COCAINE",
        "UP-BALES",
    }
    # Every match, in words (a problem's message names the first five).
    compared = Compared()
    for checked in outcome.reports:
        compared.add(str(checked.report_values["national_reference"]), checked)
    found_by_upload = compared.found(alice).by_items
    flagged = {reference: " ".join(sorted(words)) for reference, words in found_by_upload.items()}

    bales = {**cocaine("3"), "unit": Unit.objects.get(code="ZZO")}
    for reference, uploaded in (
        ("UP-STICKS", [cigarettes(200_000)]),
        ("UP-COCAINE", [cocaine("3")]),
        ("UP-BALES", [bales]),
    ):
        submitted = build_report(by=alice, reference=reference, items=uploaded, conveyances=[])
        found = find_duplicate_candidates(submitted)
        expected = set(Report.objects.filter(pk__in=found).values_list("national_reference", flat=True))
        named = {word for word in flagged.get(reference, "").split() if word.startswith("R-")}
        assert expected, "the recorded reports hold matches of each uploaded report"
        assert named == expected
        submitted.delete()

    # The edges, in words: 10 % either way and a day either way match, anything beyond does not.
    sticks = {word for word in flagged["UP-STICKS"].split() if word.startswith("R-")}
    assert sticks == {f"R-{n}-{offset:+d}" for n in (180_000, 200_000, 220_000) for offset in (-1, 0, 1)}
    cocaine_found = {word for word in flagged["UP-COCAINE"].split() if word.startswith("R-")}
    assert cocaine_found == {"R-COCAINE-2.7KGM", "R-COCAINE-3000GRM", "R-BALES-3.05KGM"}
    assert {word for word in flagged["UP-BALES"].split() if word.startswith("R-")} == {"R-BALES-3ZZO"}


def test_an_item_given_by_its_category_only_is_compared_as_the_submission_rule_compares_it(alice):
    # The rule compares an item of a type with items of that type, and an item of a category only with every item
    # of that category, whatever their type.
    build_report(by=alice, reference="R-TYPED", items=[cocaine("3")], conveyances=[])
    build_report(by=alice, reference="R-CATEGORY", items=[{**cocaine("3"), "commodity_type": None}], conveyances=[])
    drugs = vocabulary()["cocaine"].category
    heroin, _ = CommodityType.objects.get_or_create(code="heroin", defaults={"label": "Heroin", "category": drugs})
    build_report(by=alice, reference="R-OTHER-TYPE", items=[{**cocaine("3"), "commodity_type": heroin}], conveyances=[])
    outcome = check_records(
        [
            *sheet("report", report("UP-CATEGORY"), report("UP-TYPED")),
            *sheet(
                "item",
                item("UP-CATEGORY", commodity_type="", commodity_category="drugs", unit="KGM", quantity="3"),
                item("UP-TYPED", commodity_type="cocaine", unit="KGM", quantity="3"),
            ),
        ],
        actor=alice,
        variant="simplified",
        progress=NoProgress(),
    )
    compared = Compared()
    for checked in outcome.reports:
        compared.add(str(checked.report_values["national_reference"]), checked)
    flagged = {
        reference: {word for words in found for word in words.split() if word.startswith(("R-", "UP-"))}
        for reference, found in compared.found(alice).by_items.items()
    }

    for reference, uploaded in (
        ("UP-CATEGORY", [{**cocaine("3"), "commodity_type": None}]),
        ("UP-TYPED", [cocaine("3")]),
    ):
        submitted = build_report(by=alice, reference=reference, items=uploaded, conveyances=[])
        found = find_duplicate_candidates(submitted)
        expected = set(Report.objects.filter(pk__in=found).values_list("national_reference", flat=True))
        assert {word for word in flagged.get(reference, ()) if word.startswith("R-")} == expected
        submitted.delete()
    assert flagged["UP-CATEGORY"] == {"R-TYPED", "R-CATEGORY", "R-OTHER-TYPE", "UP-TYPED"}
    assert flagged["UP-TYPED"] == {"R-TYPED"}


def test_a_seizure_typed_many_times_names_a_few_of_its_twins_each_the_same_whoever_checks(alice, settings, tmp_path):
    # Every pair of 3,000 identical reports matches: each names NAMED of them, the same whether the file is checked
    # by one process or two (the cost grows with the reports, not with their pairs: candidates.GATHERED).
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()
    content = csv_bytes(*(csv_row(f"TWIN-{n:04d}") for n in range(3000)))
    outcomes = {}
    for helper in (False, True):
        settings.RILO_UPLOADS_CHECK_HELPER, settings.RILO_UPLOADS_CHECK_HELPER_FROM = helper, 0
        upload = send(alice, content)
        assert upload_check(upload_id=upload.pk) == "checked"
        outcomes[helper] = sorted(
            UploadProblem.objects.filter(upload=upload, kind=ProblemKind.DUPLICATE).values_list("row", "message")
        )
    assert outcomes[False] == outcomes[True] and len(outcomes[False]) == 3000
    twins_file = tmp_path / "twins.csv"
    twins_file.write_bytes(content)
    checked = check_records(
        read_upload(twins_file, format="csv", variant="full"), actor=alice, variant="full", progress=NoProgress()
    )
    compared = Compared()
    for one in checked.reports:
        compared.add(str(one.report_values["national_reference"]), one)
    gathered = compared.found(alice).by_items
    assert len(gathered) == 3000 and {len(twins) for twins in gathered.values()} == {GATHERED}
    first = outcomes[False][0][1]
    assert first.count("report TWIN-") == NAMED  # the NAMED first of its 2,999 twins
