"""The summaries follow the workflow: approval, correction, withdrawal and duplicate marking each move the figures
once their bucket is recomputed; recomputing is idempotent; the reconciliation finds and repairs a difference."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections

from apps.core.personal import field_names, non_personal_fields, personal_fields
from apps.dashboards.filtersets import StatisticsFilters
from apps.dashboards.models import (
    DirtyBucket,
    DirtyPlaces,
    ItemSummary,
    LargestItem,
    PersonSummary,
    RegionItemSummary,
    RegionReportSummary,
    ReportSummary,
)
from apps.dashboards.panels import panel_data
from apps.dashboards.selectors import StatisticsScope, statistics_scope
from apps.dashboards.services import (
    statistics_cache_invalidate,
    statistics_mark_dirty,
    statistics_recompute_dirty,
    statistics_reconcile,
)
from apps.reports.choices import ReportStatus
from apps.reports.services import report_approve, report_correct, report_mark_duplicate, report_withdraw
from apps.tenancy.models import Administration
from tests.builders import build_report, cocaine
from tests.factories import AdministrationFactory


def scope_of(user) -> StatisticsScope:
    scope = statistics_scope(user=user)
    assert scope is not None
    return scope


MARCH, APRIL = dt.date(2025, 3, 14), dt.date(2025, 4, 20)


def figures(user, **filters):
    scope = scope_of(user)
    data = panel_data(user=user, scope=scope, key="key_figures", filters=StatisticsFilters(**filters))
    return {row["figure"]: row["value"] for row in data["rows"]}


def by_month(user):
    scope = scope_of(user)
    data = panel_data(user=user, scope=scope, key="reports_per_administration", filters=StatisticsFilters())
    return {row["month"]: row["reports"] for row in data["rows"]}


@pytest.fixture
def approved(alice, erin):
    report = build_report(
        by=alice,
        status=ReportStatus.APPROVED,
        through_services=True,
        reviewer=erin,
        seizure_date=MARCH,
        items=[cocaine(10)],
    )
    statistics_recompute_dirty()
    return report


def test_every_field_of_every_dashboards_model_is_tagged_personal_or_not():
    for model in apps.get_app_config("dashboards").get_models():
        names = field_names(model)
        personal, non_personal = personal_fields(model), non_personal_fields(model)
        assert not personal & non_personal, model.__name__
        assert names == personal | non_personal, model.__name__


def test_submitting_and_approving_mark_the_bucket_and_the_recompute_counts_the_report(alice, erin):
    report = build_report(by=alice, status=ReportStatus.SUBMITTED, through_services=True, seizure_date=MARCH)
    assert DirtyBucket.objects.filter(month=dt.date(2025, 3, 1), administration=report.administration).exists()
    statistics_recompute_dirty()
    assert figures(erin)["reports"] == 0
    assert figures(erin, states=("approved", "submitted"))["reports"] == 1
    report_approve(report=report, actor=erin)
    statistics_cache_invalidate()  # the summaries must answer, not the figures cached a moment ago
    assert figures(erin)["reports"] == 0  # not yet recomputed: the summaries say what they said
    assert statistics_recompute_dirty() == 2  # the bucket, then its region's month per place
    assert figures(erin)["reports"] == 1
    assert not DirtyBucket.objects.exists()
    assert not DirtyPlaces.objects.exists()


def test_a_correction_moves_the_quantity_and_the_month(approved, erin):
    assert by_month(erin) == {"2025-03": 1}
    report_correct(
        report=approved, actor=erin, reason="Weighed again", fields={"seizure_date": APRIL}, items=[cocaine(25)]
    )
    statistics_recompute_dirty()
    assert by_month(erin) == {"2025-04": 1}
    assert figures(erin)["quantity_mass"] == 25


def test_a_withdrawal_removes_the_report_from_the_figures(approved, erin):
    assert figures(erin)["reports"] == 1
    report_withdraw(report=approved, actor=erin, reason="Entered in error")
    statistics_recompute_dirty()
    assert figures(erin)["reports"] == 0
    assert figures(erin)["quantity_mass"] == 0


def test_a_duplicate_no_longer_counts(approved, alice, erin):
    twin = build_report(
        by=alice,
        status=ReportStatus.APPROVED,
        through_services=True,
        reviewer=erin,
        seizure_date=MARCH,
        items=[cocaine(10)],
    )
    statistics_recompute_dirty()
    assert figures(erin)["reports"] == 2
    report_mark_duplicate(report=twin, of=approved, actor=erin)
    statistics_recompute_dirty()
    assert figures(erin)["reports"] == 1
    assert figures(erin)["quantity_mass"] == 10


def test_recomputing_twice_gives_the_same_rows(approved):
    def rows():
        return sorted(ReportSummary.objects.values_list("month", "state", "category", "dimension", "value", "reports"))

    before = rows()
    DirtyBucket.objects.create(month=dt.date(2025, 3, 1), administration=approved.administration)
    statistics_recompute_dirty()
    assert rows() == before and before


def test_the_reconciliation_finds_a_drifted_bucket_and_marks_it_for_recompute(approved, erin):
    assert statistics_reconcile().buckets_differing == 0
    ItemSummary.objects.filter(dimension="total").update(items=7, quantity=Decimal(70))
    outcome = statistics_reconcile()
    assert (outcome.buckets_differing, outcome.differences[0]["items"]) == (1, [1, 7])
    assert DirtyBucket.objects.filter(administration=approved.administration).exists()
    statistics_recompute_dirty()
    assert statistics_reconcile().buckets_differing == 0
    assert figures(erin)["quantity_mass"] == 10


def test_the_rebuild_command_rebuilds_everything(approved, erin):
    ReportSummary.objects.all().delete()
    call_command("rebuild_statistics", "--check", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert figures(erin)["reports"] == 1


def test_the_worker_task_recomputes_the_marked_buckets(alice, erin):
    from apps.dashboards.tasks import recompute_dirty

    build_report(by=alice, status=ReportStatus.APPROVED, through_services=True, reviewer=erin, seizure_date=MARCH)
    assert DirtyBucket.objects.exists()
    assert recompute_dirty() == 2  # the bucket, then its region's month per place
    assert recompute_dirty() == 0
    assert figures(erin)["reports"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_region_marked_again_while_its_places_are_recomputed_is_recomputed_again(alice, erin, monkeypatch):
    """A bucket's recompute that marks the region's month while its rows per place are being recomputed (after
    that recompute read the reports) leaves the mark: the change is counted per place by the next recompute."""
    from apps.dashboards import fills, services

    build_report(by=alice, status=ReportStatus.APPROVED, through_services=True, reviewer=erin, seizure_date=MARCH)
    assert DirtyBucket.objects.exists()
    real = fills.places_recompute

    def marked_meanwhile(**kwargs):
        real(**kwargs)
        other = connections.create_connection("default")  # another session: a bucket's recompute committing
        with other.cursor() as cursor:
            cursor.execute("UPDATE dashboards_dirtyplaces SET marked_at = now() + interval '1 second'")
        other.close()

    monkeypatch.setattr(fills, "places_recompute", marked_meanwhile)
    assert services.statistics_recompute_dirty(limit=2) == 2
    mark = DirtyPlaces.objects.get()
    assert mark.claimed_at is None  # left for the next recompute, unclaimed
    monkeypatch.setattr(fills, "places_recompute", real)
    assert services.statistics_recompute_dirty() == 1
    assert not DirtyPlaces.objects.exists()


def test_the_reconciliation_finds_a_region_wide_row_that_is_not_the_sum_of_its_administrations(approved, erin):
    assert statistics_reconcile().buckets_differing == 0
    RegionReportSummary.objects.filter(place="", dimension="total").update(reports=5)
    outcome = statistics_reconcile()
    assert outcome.buckets_differing == 1
    assert outcome.differences == [{"month": "2025-03-01", "region": approved.administration.region_id}]
    assert DirtyBucket.objects.filter(month=dt.date(2025, 3, 1)).count() == 1  # one bucket rolls the month up
    statistics_recompute_dirty()
    assert statistics_reconcile().buckets_differing == 0
    assert figures(erin)["reports"] == 1


def test_deleting_an_administration_or_a_region_deletes_its_summary_rows(approved, germany, region_cis):
    """The summary rows' administration and region have no constraint in the database: Django's on_delete deletes
    them with their administration and region, and no one else's."""
    newcomer = AdministrationFactory.create(region=region_cis, country="UZ", name="Uzbek Customs", code="uz")
    month, keys = dt.date(2025, 3, 1), {"state": "approved", "operation_key": 0, "category": "*"}
    ReportSummary.objects.create(month=month, administration=newcomer, dimension="total", value="", reports=2, **keys)
    PersonSummary.objects.create(month=month, administration=newcomer, dimension="sex", value="F", persons=1, **keys)
    ItemSummary.objects.create(month=month, administration=newcomer, dimension="total", value="", unit_family="kg",
                               currency="", items=1, quantity=Decimal(1), amount=Decimal(0), **keys)  # fmt: skip
    LargestItem.objects.create(month=month, administration=newcomer, unit_family="kg", item_id=1, report_id=1,
                               quantity=Decimal(1), **keys)  # fmt: skip
    for model in (RegionReportSummary, RegionItemSummary):
        extra: dict[str, object] = {"reports": 2} if model is RegionReportSummary else {
            "unit_family": "kg", "currency": "", "items": 1, "quantity": Decimal(1), "amount": Decimal(0)}  # fmt: skip
        model.objects.create(month=month, region=region_cis, place="", dimension="total", value="", **keys, **extra)
    theirs = ReportSummary.objects.exclude(administration=newcomer).count()
    assert theirs > 0

    newcomer.delete()
    assert not any(m.objects.filter(administration_id=newcomer.pk).exists()
                   for m in (ReportSummary, PersonSummary, ItemSummary, LargestItem))  # fmt: skip
    region_cis.delete()
    assert not RegionReportSummary.objects.filter(region_id=region_cis.pk).exists()
    assert not RegionItemSummary.objects.filter(region_id=region_cis.pk).exists()
    assert ReportSummary.objects.count() == theirs  # the other administrations' rows stay
    assert RegionReportSummary.objects.filter(region=approved.administration.region).exists()


def test_the_reconciliation_deletes_the_rows_of_administrations_and_regions_gone(approved, region_cis):
    """Rows a deletion in SQL left (the tables have no constraint): deleted by the reconciliation, no one else's."""
    keys = {"month": dt.date(2025, 3, 1), "state": "approved", "operation_key": 0, "category": "*",
            "dimension": "total", "value": ""}  # fmt: skip
    ours = sorted(ReportSummary.objects.values_list("administration_id", "dimension", "value", "reports"))
    assert ours
    gone = max(Administration.objects.values_list("pk", flat=True)) + 1000
    ReportSummary.objects.create(administration_id=gone, reports=4, **keys)
    RegionReportSummary.objects.create(region=region_cis, place="", reports=4, **keys)  # no administration in it

    outcome = statistics_reconcile()
    assert not ReportSummary.objects.filter(administration_id=gone).exists()
    assert not RegionReportSummary.objects.filter(region=region_cis).exists()
    assert outcome.buckets_differing == 0  # nothing else differed, and nothing is marked for the rows gone
    assert sorted(ReportSummary.objects.values_list("administration_id", "dimension", "value", "reports")) == ours


def test_a_recompute_writes_only_the_rows_that_changed(approved, alice, erin):
    """A recompute keeps the stored rows the reports still give (the same row, not a copy), replaces those whose
    figures moved, and deletes those no report gives any more: a second report of the month with another
    transport mode moves the totals and adds its mode's rows; the first report's mode keeps its row."""

    def rows() -> dict[tuple[str, str, str], tuple[int, int]]:
        stored = ReportSummary.objects.filter(category="*", state="approved")
        return {(m.month.isoformat(), m.dimension, m.value): (m.pk, m.reports) for m in stored}

    before = rows()
    second = build_report(by=alice, status=ReportStatus.APPROVED, seizure_date=MARCH, transport_mode=None,
                          items=[cocaine(5)])  # fmt: skip
    statistics_mark_dirty(report=second)
    statistics_recompute_dirty()
    after = rows()
    first_mode = next(key for key in before if key[1] == "transport_mode")
    assert after[first_mode] == before[first_mode]  # untouched: same id, same count
    total = next(key for key in before if key[1] == "total")
    assert after[total][1] == 2 and after[total][0] != before[total][0]  # moved: a new row
    assert ("2025-03-01", "transport_mode", "") in after and len(after) > len(before)
    report_withdraw(report=approved, actor=erin, reason="Entered in error")
    statistics_recompute_dirty()
    assert first_mode not in rows()  # no report gives it any more
