"""The statistics API: the panel list, each panel's figures under filters, the scope of every persona."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.dashboards.panels import PANELS
from apps.dashboards.services import statistics_rebuild
from apps.reports.choices import ReportStatus
from tests.builders import build_report, cigarettes, cocaine
from tests.helpers import bearer

URL = "/api/v1/statistics/"


@pytest.fixture
def seizures(france, germany, kazakhstan):
    """Approved, submitted and draft reports of France and Germany (Western Europe) and Kazakhstan (CIS)."""
    made = {
        "fr1": build_report(
            by=france, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 3, 14), items=[cocaine(12)]
        ),
        "fr2": build_report(by=france, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 4, 2)),
        "fr_sub": build_report(by=france, status=ReportStatus.SUBMITTED, seizure_date=dt.date(2025, 4, 3)),
        "fr_draft": build_report(by=france, status=ReportStatus.DRAFT, seizure_date=dt.date(2025, 4, 3)),
        "de1": build_report(
            by=germany,
            status=ReportStatus.APPROVED,
            seizure_date=dt.date(2025, 4, 20),
            items=[cigarettes(1000), cocaine(3)],
        ),
        "kz1": build_report(by=kazakhstan, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 4, 20)),
    }
    statistics_rebuild()
    return made


def figure(data, name):
    return next(row for row in data["rows"] if row["figure"] == name)["value"]


def test_an_analyst_sees_the_key_figures_of_their_region_only(api, issue_token, seizures, erin, farid):
    erin_view = api.get(f"{URL}key_figures/", **bearer(issue_token(erin))).json()
    assert erin_view["source"] == "summary"
    assert figure(erin_view, "reports") == 3
    assert figure(erin_view, "administrations") == 2
    assert figure(erin_view, "quantity_mass") == 15
    assert figure(erin_view, "quantity_sticks") == 201_000
    farid_view = api.get(f"{URL}key_figures/", **bearer(issue_token(farid))).json()
    assert figure(farid_view, "reports") == 1


def test_submitted_reports_are_added_on_request_of_the_regions_rilo_staff(api, issue_token, seizures, erin):
    auth = bearer(issue_token(erin))
    approved = api.get(f"{URL}key_figures/", **auth).json()
    both = api.get(f"{URL}key_figures/", {"state": ["approved", "submitted"]}, **auth).json()
    assert (figure(approved, "reports"), figure(both, "reports")) == (3, 4)


def test_a_category_filter_counts_reports_with_such_an_item(api, issue_token, seizures, erin):
    data = api.get(f"{URL}transport_mode/", {"category": "drugs"}, **bearer(issue_token(erin))).json()
    assert data["source"] == "summary"
    assert sum(row["reports"] for row in data["rows"]) == 2
    assert all(row["drill"].startswith("/reports/?") for row in data["rows"])


def test_a_filter_the_summaries_cannot_answer_is_counted_from_the_reports(api, issue_token, seizures, erin):
    data = api.get(
        f"{URL}map/", {"date_from": "2025-04-02", "date_to": "2025-04-30"}, **bearer(issue_token(erin))
    ).json()
    assert data["source"] == "base"
    assert data["notes"]
    assert {row["value"]: row["reports"] for row in data["rows"]} == {"FR": 1, "DE": 1}


def test_the_panel_list_names_every_panel(api, issue_token, seizures, erin):
    panels = api.get(URL, **bearer(issue_token(erin))).json()
    assert {"key_figures", "trend", "map", "transport_mode"} <= {p["key"] for p in panels}


def test_bad_filters_are_a_clear_400(api, issue_token, seizures, erin):
    response = api.get(f"{URL}map/", {"date_from": "2025-05-01", "date_to": "2025-04-01"}, **bearer(issue_token(erin)))
    assert response.status_code == 400
    assert "date_to" in response.json()["details"]


def test_an_unknown_panel_is_not_found(api, issue_token, seizures, erin):
    assert api.get(f"{URL}nothing_here/", **bearer(issue_token(erin))).status_code == 404


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"date_from": "2025-04-01", "date_to": "2025-04-30", "category": "drugs"},
        {"transport_mode": "3", "state": ["approved", "submitted"]},
    ],
    ids=["all", "summarised", "base"],
)
def test_every_panel_answers_with_its_columns_for_an_analyst(api, issue_token, seizures, erin, filters):
    auth = bearer(issue_token(erin))
    keys = [p["key"] for p in api.get(URL, **auth).json()]
    for key in keys:
        response = api.get(f"{URL}{key}/", filters, **auth)
        assert response.status_code == 200, (key, response.content)
        data = response.json()
        assert data["key"] == key and data["title"] and data["description"] and data["columns"], key
        # A live panel applying only some filters is computed without the others (apps.dashboards.panels).
        applies = PANELS[key].applies
        ignored = applies is not None and "transport_mode" not in applies
        assert data["source"] == ("base" if "transport_mode" in filters and not ignored else "summary"), key
        for row in data["rows"]:
            assert {c["key"] for c in data["columns"]} <= set(row), key


def test_a_country_with_its_role_is_counted_from_the_summaries_and_with_administrations_from_the_reports(
    api, issue_token, seizures, erin, france
):
    auth = bearer(issue_token(erin))
    seized_in_france = api.get(f"{URL}key_figures/", {"country": "FR"}, **auth).json()
    assert seized_in_france["source"] == "summary"
    assert figure(seized_in_france, "reports") == 2  # fr1 and fr2: approved, seized in France
    assert figure(api.get(f"{URL}key_figures/", {"country": "DE"}, **auth).json(), "reports") == 1
    assert figure(api.get(f"{URL}key_figures/", {"country": "KZ"}, **auth).json(), "reports") == 0  # another region
    # The rows per place are of the region's administrations together: naming some is counted from the reports.
    named = api.get(f"{URL}key_figures/", {"country": "FR", "administration": france.pk}, **auth).json()
    assert named["source"] == "base"
    assert figure(named, "reports") == 2
