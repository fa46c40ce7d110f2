"""The drill-down: a bar, slice or country (or a table row's link) opens the report list filtered the same way, and
the page says how many of the counted reports the reader may open and how many more exist that they cannot."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from apps.accounts.models import User
from apps.dashboards.filtersets import StatisticsFilters
from apps.dashboards.panels import panel_data
from apps.dashboards.selectors import statistics_scope
from tests.dashboards import page_fixtures
from tests.helpers import sign_in

counted_world = page_fixtures.counted_world


def _road_drill(user: User) -> str:
    """The drill link of the road row of the transport panel, as the page gives it to ``user``."""
    scope = statistics_scope(user=user)
    assert scope is not None
    data = panel_data(user=user, scope=scope, key="transport_mode", filters=StatisticsFilters())
    link = data["rows"][0]["drill"]
    return "/dashboards/drill/?" + link.split("?", 1)[1]


def _follow(client: Client, path: str) -> tuple[Any, str, str]:
    response = client.get(path)
    assert response.status_code == 302
    location = response["Location"]
    listed = client.get(location)
    messages = " ".join(re.findall(r'<p class="message[^"]*">(.*?)</p>', listed.content.decode()))
    return listed, location, messages


def test_an_officer_is_told_how_many_counted_reports_she_cannot_open(
    client: Client, alice: User, counted_world: dict[str, Any]
) -> None:
    sign_in(client, alice)
    listed, location, messages = _follow(client, _road_drill(alice))
    assert location.startswith("/reports/?") and "transport_mode=3" in location and "status=approved" in location
    assert "count 5 reports" in messages and "open 3 of them" in messages and "2 more exist" in messages
    body = listed.content.decode()
    assert all(f"DASH-FR-{n}" in body for n in range(3))
    assert "DASH-DE-" not in body and "DASH-KZ-" not in body and "DASH-FR-SUBMITTED" not in body


def test_an_analyst_may_open_every_counted_report(client: Client, erin: User, counted_world: dict[str, Any]) -> None:
    sign_in(client, erin)
    listed, _location, messages = _follow(client, _road_drill(erin))
    assert "count 5 reports" in messages and "all of them" in messages
    body = listed.content.decode()
    assert all(f"DASH-FR-{n}" in body for n in range(3)) and all(f"DASH-DE-{n}" in body for n in range(2))
    assert "DASH-KZ-" not in body


def test_the_page_links_each_row_to_its_drill_down(client: Client, alice: User, counted_world: dict[str, Any]) -> None:
    sign_in(client, alice)
    html = client.get("/dashboards/").content.decode()
    assert f'href="{_road_drill(alice).replace("&", "&amp;")}"' in html


def test_the_drill_down_always_lands_on_the_report_list(
    client: Client, alice: User, counted_world: dict[str, Any]
) -> None:
    sign_in(client, alice)
    for query in ("next=https://evil.example/", "q=anything", "status=draft", ""):
        response = client.get(f"/dashboards/drill/?{query}")
        assert response.status_code == 302
        assert response["Location"].startswith("/reports/"), response["Location"]


def test_a_drill_down_into_another_regions_administration_counts_nothing_and_lists_nothing(
    client: Client, farid: User, france: Any, counted_world: dict[str, Any]
) -> None:
    sign_in(client, farid)
    listed, _location, messages = _follow(
        client, f"/dashboards/drill/?status=approved&transport_mode=3&administration={france.pk}"
    )
    assert "count" not in messages or "count 0 reports" in messages
    assert "DASH-FR-" not in listed.content.decode()
