"""Who sees which figures: the region's for everyone of the region, drill-downs only through restrict(), person-
derived panels only with the personal-data capability for the region, and their small cells suppressed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.dashboards.filtersets import StatisticsFilters
from apps.dashboards.panels import SMALL_CELL_LABEL, panel_data, panels_for
from apps.dashboards.selectors import StatisticsScope, drill_counts, statistics_scope
from apps.dashboards.services import statistics_rebuild
from apps.reports.choices import ReportStatus
from tests.builders import OFFENDER, build_report, cocaine
from tests.helpers import bearer

URL = "/api/v1/statistics/"


def scope_of(user) -> StatisticsScope:
    scope = statistics_scope(user=user)
    assert scope is not None
    return scope


@pytest.fixture
def region_reports(france, germany, kazakhstan):
    """Four French and one German approved reports (Western Europe), one Kazakh (CIS); four French offenders."""
    made = [
        build_report(by=france, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 3, 1), items=[cocaine(n)])
        for n in (100, 5, 6, 7)
    ]
    made.append(
        build_report(
            by=germany,
            status=ReportStatus.APPROVED,
            seizure_date=dt.date(2025, 3, 2),
            items=[cocaine(500)],
            parties=[{**OFFENDER, "nationality": "DE"}],
        )
    )
    made.append(build_report(by=kazakhstan, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 3, 3)))
    statistics_rebuild()
    return made


def test_an_officer_sees_the_regions_figures_but_may_open_only_their_administrations_reports(region_reports, alice):
    scope = scope_of(alice)
    data = panel_data(user=alice, scope=scope, key="map", filters=StatisticsFilters())
    assert {row["value"]: row["reports"] for row in data["rows"]} == {"FR": 4, "DE": 1}
    counts = drill_counts(user=alice, scope=scope, filters=StatisticsFilters())
    assert (counts.visible, counts.hidden) == (4, 1)


def test_the_largest_seizures_link_only_to_reports_the_user_may_open(region_reports, alice, erin):
    def largest(user):
        data = panel_data(user=user, scope=scope_of(user), key="largest_seizures", filters=StatisticsFilters())
        return [(row["quantity"], "drill" in row) for row in data["rows"]], data["notes"]

    rows, notes = largest(alice)
    assert rows == [(100.0, True), (7.0, True), (6.0, True), (5.0, True)]  # not Germany's 500 kg
    assert notes
    rows, notes = largest(erin)
    assert all(link for _q, link in rows) and not notes


def test_person_derived_panels_exist_only_for_the_regions_staff_with_the_personal_data_capability(
    api, issue_token, region_reports, alice, erin, grace
):
    for user, sees in ((alice, False), (grace, False), (erin, True)):
        scope = scope_of(user)
        listed = {p.key for p in panels_for(scope=scope)}
        assert ("offender_nationality" in listed) is sees, user
        response = api.get(f"{URL}offender_nationality/", **bearer(issue_token(user)))
        assert response.status_code == (200 if sees else 404), user


def test_person_counts_below_three_are_shown_as_fewer_than_three(region_reports, erin):
    data = panel_data(user=erin, scope=scope_of(erin), key="offender_nationality", filters=StatisticsFilters())
    assert {row["value"]: row["persons"] for row in data["rows"]} == {"FR": 4, "DE": SMALL_CELL_LABEL}


def test_an_administration_filter_outside_the_region_is_refused(api, issue_token, region_reports, erin, kazakhstan):
    response = api.get(f"{URL}map/", {"administration": kazakhstan.pk}, **bearer(issue_token(erin)))
    assert response.status_code == 400
    assert b"KZ" not in response.content


def test_the_cache_keeps_each_users_figures_apart(region_reports, erin, farid):
    for user, expected in ((erin, {"FR": 4, "DE": 1}), (farid, {"KZ": 1}), (erin, {"FR": 4, "DE": 1})):
        data = panel_data(user=user, scope=scope_of(user), key="map", filters=StatisticsFilters())
        assert {row["value"]: row["reports"] for row in data["rows"]} == expected


def test_who_belongs_to_no_region_gets_no_statistics(api, issue_token, region_reports, ivan):
    assert api.get(URL, **bearer(issue_token(ivan))).status_code == 403
    assert api.get(f"{URL}map/", **bearer(issue_token(ivan))).status_code == 403
    assert api.get(URL).status_code in (401, 403)


@pytest.mark.parametrize(
    "filters",
    [
        StatisticsFilters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 1)),
        StatisticsFilters(transport_mode="3"),
        StatisticsFilters(category="drugs"),
        StatisticsFilters(country="FR", country_role="departure"),
    ],
    ids=["one day", "transport mode", "category", "country"],
)
def test_person_counts_are_not_answered_for_cuts_whose_difference_would_reveal_a_small_cell(
    region_reports, erin, filters
):
    # One German offender on 2 March: the whole region's March shows DE as "< 3"; were 1-2 March or "all but one
    # administration" answered, region minus that would give the German count.
    with CaptureQueriesContext(connection) as queries:
        data = panel_data(user=erin, scope=scope_of(erin), key="offender_nationality", filters=filters)
    assert data["rows"] == []
    assert data["columns"] and data["notes"]
    # Withheld, not even counted: no read of the persons or of their summaries.
    read = [q["sql"] for q in queries.captured_queries]
    assert not [sql for sql in read if "reports_party" in sql or "personsummary" in sql]
    assert read  # (the panel's queries were captured: its scope and its stamp)


def test_person_counts_are_not_answered_for_a_subset_of_administrations(region_reports, erin, france, germany):
    scope = scope_of(erin)
    several = StatisticsFilters(administrations=(france.pk, germany.pk))
    assert panel_data(user=erin, scope=scope, key="offender_nationality", filters=several)["rows"] == []
    for one in (france, germany):
        alone = StatisticsFilters(administrations=(one.pk,))
        assert panel_data(user=erin, scope=scope, key="offender_nationality", filters=alone)["rows"]


def test_person_counts_are_answered_for_whole_months_of_the_region(region_reports, erin):
    march = StatisticsFilters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 31))
    data = panel_data(user=erin, scope=scope_of(erin), key="offender_nationality", filters=march)
    assert {row["value"]: row["persons"] for row in data["rows"]} == {"FR": 4, "DE": SMALL_CELL_LABEL}
