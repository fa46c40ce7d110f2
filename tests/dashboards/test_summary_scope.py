"""The summary tables are read through ``restrict(actor, "view")`` like every tenant's rows: the people of another
region (an analyst, a national coordinator, a RILO administrator) see none of Western Europe's figures through any
path: the tables themselves, the selectors (even handed a scope naming Western Europe's administrations), the
statistics API and the page."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.dashboards.filtersets import StatisticsFilters
from apps.dashboards.models import (
    ItemSummary,
    LargestItem,
    PersonSummary,
    RegionItemSummary,
    RegionReportSummary,
    ReportSummary,
)
from apps.dashboards.panels import PANELS, panel_data
from apps.dashboards.selectors import StatisticsScope, SummarySource, statistics_scope
from apps.dashboards.services import statistics_rebuild
from apps.dashboards.summaries import ITEMS, PERSONS, REPORTS
from apps.reports.choices import ReportStatus
from tests.builders import build_report, cocaine
from tests.factories import UserFactory
from tests.helpers import bearer, sign_in

SUMMARIES = (ReportSummary, ItemSummary, PersonSummary, LargestItem)
WE_KG = 777  # Western Europe's seizure: a quantity no figure of Central Asia has


@pytest.fixture
def two_regions(france: Any, germany: Any, kazakhstan: Any) -> dict[str, Any]:
    made = {
        "fr": build_report(by=france, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 3, 4),
                           items=[cocaine(WE_KG)]),
        "de": build_report(by=germany, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 4, 9)),
        "kz": build_report(by=kazakhstan, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 4, 9),
                           items=[cocaine(2)]),
    }  # fmt: skip
    statistics_rebuild()
    return made


@pytest.fixture
def kz_coordinator(kazakhstan: Any) -> Any:
    return UserFactory.create(username="kuat", role=Role.NATIONAL_COORDINATOR, administration=kazakhstan)


@pytest.fixture
def cis_administrator(region_cis: Any) -> Any:
    return UserFactory.create(username="lena", role=Role.RILO_ADMINISTRATOR, region=region_cis)


def _has_we_quantity(rows: list[dict[str, Any]]) -> bool:
    """Whether a figure of ``rows`` is Western Europe's quantity."""
    for row in rows:
        for value in row.values():
            try:
                if float(str(value).replace(",", "")) == WE_KG:
                    return True
            except ValueError:
                continue
    return False


def _administrations(model: Any, user: Any) -> set[int]:
    return set(model.objects.restrict(user, "view").values_list("administration_id", flat=True))


def test_each_summary_table_offers_restrict_to_the_readers_region(
    two_regions, france, germany, kazakhstan, erin, alice, farid, kz_coordinator, cis_administrator
):
    for model in SUMMARIES:
        assert model.objects.all().exists(), model  # every table has rows of both regions
        for outsider in (farid, kz_coordinator, cis_administrator):
            assert not _administrations(model, outsider) & {france.pk, germany.pk}, (model, outsider)
        assert _administrations(model, erin) == {france.pk, germany.pk}, model
    for model in (ReportSummary, ItemSummary, LargestItem):
        # An officer sees the figures of her administration's region (a regional office's figures), no other.
        assert _administrations(model, alice) == {france.pk, germany.pk}, model
        assert _administrations(model, farid) == {kazakhstan.pk}, model
        assert _administrations(model, kz_coordinator) == {kazakhstan.pk}, model
    # Person-derived rows: only the region's own staff holding the personal-data capability.
    assert not PersonSummary.objects.restrict(alice, "view").exists()
    assert not PersonSummary.objects.restrict(kz_coordinator, "view").exists()
    assert not PersonSummary.objects.restrict(cis_administrator, "view").exists()
    assert _administrations(PersonSummary, farid) == {kazakhstan.pk}
    for model in SUMMARIES:
        assert not model.objects.restrict(None, "view").exists()
        assert not model.objects.restrict(erin, "change").exists()  # read only


def test_the_region_wide_tables_offer_restrict_to_the_readers_region(
    two_regions, region_we, region_cis, erin, alice, farid, kz_coordinator, cis_administrator
):
    """The sums of a region's administrations: its own people (staff and officers) read them, no one else."""
    for model in (RegionReportSummary, RegionItemSummary):
        assert set(model.objects.values_list("region_id", flat=True)) == {region_we.pk, region_cis.pk}, model
        for insider in (erin, alice):
            assert set(model.objects.restrict(insider, "view").values_list("region_id", flat=True)) == {region_we.pk}
        for outsider in (farid, kz_coordinator, cis_administrator):
            seen = set(model.objects.restrict(outsider, "view").values_list("region_id", flat=True))
            assert seen == {region_cis.pk}, (model, outsider)
        assert not model.objects.restrict(None, "view").exists()
        assert not model.objects.restrict(erin, "change").exists()


def test_a_scope_naming_another_regions_administrations_reads_nothing_of_them(
    two_regions, france, germany, erin, farid, cis_administrator
):
    """The selectors read the summaries through restrict(): a scope that names Western Europe's administrations
    but is an outsider's reads none of their rows."""
    we_scope = statistics_scope(user=erin)
    assert we_scope is not None
    filters = StatisticsFilters()
    assert sum(r["reports"] for r in SummarySource(filters, we_scope).rows(REPORTS, "total", ["state"])) == 2
    for outsider in (farid, cis_administrator):
        forged = dataclasses.replace(we_scope, actor=outsider, personal=True)
        source = SummarySource(filters, forged)
        for grain in (REPORTS, ITEMS, PERSONS):
            assert source.rows(grain, "total", ["state"]) == [], (grain, outsider)
        largest = panel_data(user=outsider, scope=forged, key="largest_seizures", filters=filters)
        assert largest["rows"] == []
    nobody = StatisticsScope(we_scope.region_id, we_scope.administration_ids, True, ("nobody",))
    assert SummarySource(filters, nobody).rows(REPORTS, "total", ["state"]) == []


def test_another_regions_staff_see_none_of_its_figures_through_the_api_or_the_page(
    two_regions, france, api, issue_token, client: Client, erin, farid, kz_coordinator, cis_administrator
):
    insider = api.get("/api/v1/statistics/key_figures/", **bearer(issue_token(erin))).json()
    assert _has_we_quantity(insider["rows"])  # what the outsiders must not see is there to see
    for outsider in (farid, kz_coordinator, cis_administrator):
        auth = bearer(issue_token(outsider))
        listed = api.get("/api/v1/statistics/", **auth)
        assert listed.status_code == 200
        keys = [panel["key"] for panel in listed.json()["results"]] if "results" in listed.json() else [
            panel["key"] for panel in listed.json()
        ]  # fmt: skip
        assert keys and set(keys) <= set(PANELS)
        for key in keys:
            answer = api.get(f"/api/v1/statistics/{key}/", **auth)
            assert answer.status_code == 200, (key, outsider)
            assert not _has_we_quantity(answer.json()["rows"]), (key, outsider)
            # Naming Western Europe's administration is refused (not one of the reader's region's).
            named = api.get(f"/api/v1/statistics/{key}/", {"administration": france.pk}, **auth)
            assert named.status_code == 400, (key, outsider)
        figures = api.get("/api/v1/statistics/key_figures/", **auth).json()
        assert {row["figure"]: row["value"] for row in figures["rows"]}["reports"] == 1
        assert {row["figure"]: row["value"] for row in figures["rows"]}["administrations"] == 1
        sign_in(client, outsider)
        page = client.get("/dashboards/")
        assert page.status_code == 200
        shown = {view.data["key"]: view.data for view in page.context["panels"]}
        assert {row["figure"]: row["value"] for row in shown["key_figures"]["rows"]}["reports"] == 1
        assert not any(_has_we_quantity(data["rows"]) for data in shown.values())
        client.logout()
