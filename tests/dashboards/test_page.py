"""The dashboard page: one card per panel with its table (the page works without JavaScript), the filters kept in
the URL, the region's figures for every role of the region, nothing for who has none, bad filters answered
clearly, and the markup fit for the strict Content-Security-Policy."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.dashboards.filtersets import StatisticsFilters
from apps.dashboards.panels import PANELS, panel_data, panels_for
from apps.dashboards.selectors import StatisticsTimeout, statistics_scope
from apps.reports.models import Operation
from tests.dashboards import page_fixtures
from tests.helpers import sign_in

URL = "/dashboards/"
counted_world = page_fixtures.counted_world


def _page(client: Client, user: User, query: dict[str, Any] | None = None) -> Any:
    sign_in(client, user)
    return client.get(URL, query or {})


def _panel_json(response: Any, key: str) -> dict[str, Any]:
    html = response.content.decode()
    match = re.search(rf'<script id="panel-{key}-data" type="application/json">(.*?)</script>', html)
    assert match, f"no data of panel {key}"
    return json.loads(match.group(1))


def _table_rows(response: Any, key: str) -> list[list[str]]:
    """The rows of a panel's table as text (tags dropped)."""
    html = response.content.decode()
    section = html[html.index(f'id="panel-{key}"') :]
    table = section[section.index("<tbody>") : section.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S) for row in rows]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in row] for row in cells]


def test_the_page_shows_every_panel_of_the_analyst_with_its_table_and_the_data_as_of_stamp(
    client: Client, erin: User, counted_world: dict[str, Any]
) -> None:
    response = _page(client, erin)
    assert response.status_code == 200
    html = response.content.decode()
    scope = statistics_scope(user=erin)
    assert scope is not None
    expected = [panel.key for panel in panels_for(scope=scope)]
    assert expected
    shown = re.findall(r'<section class="panel[^"]*" id="panel-([a-z0-9_-]+)"', html)
    assert shown == expected
    assert 'id="data-as-of"' in html and "Data as of" in html
    # The transport panel's table holds the region's approved reports (3 French + 2 German by road; the
    # submitted one and the other region's are not counted).
    rows = _table_rows(response, "transport_mode")
    assert rows and rows[0][:2] == [counted_world["road_label"], "5"], rows


def test_the_table_and_the_chart_data_are_the_same_figures_as_panel_data(
    client: Client, erin: User, counted_world: dict[str, Any]
) -> None:
    response = _page(client, erin)
    scope = statistics_scope(user=erin)
    assert scope is not None
    for key in ("transport_mode", "map"):
        embedded = _panel_json(response, key)
        expected = panel_data(user=erin, scope=scope, key=key, filters=StatisticsFilters())
        assert embedded["rows"] == json.loads(json.dumps(expected["rows"]))
        assert len(_table_rows(response, key)) == len(expected["rows"])


@pytest.mark.parametrize("persona", ["alice", "cora", "bob", "erin", "grace", "hugo"])
def test_every_role_of_the_region_sees_the_regions_figures(
    client: Client, persona: str, request: pytest.FixtureRequest, counted_world: dict[str, Any]
) -> None:
    response = _page(client, request.getfixturevalue(persona))
    assert response.status_code == 200
    rows = _table_rows(response, "transport_mode")
    assert rows[0][:2] == [counted_world["road_label"], "5"], (persona, rows)


@pytest.mark.parametrize("persona", ["farid", "dmitri"])
def test_the_staff_of_another_region_see_only_that_regions_figures(
    client: Client, persona: str, request: pytest.FixtureRequest, counted_world: dict[str, Any]
) -> None:
    rows = _table_rows(_page(client, request.getfixturevalue(persona)), "transport_mode")
    assert rows[0][:2] == [counted_world["road_label"], "1"], rows


def test_who_sees_no_regions_figures_is_refused(client: Client, ivan: User, counted_world: dict[str, Any]) -> None:
    response = _page(client, ivan)
    assert response.status_code == 403
    assert b"panel-" not in response.content


def test_the_page_needs_a_signed_in_user(client: Client, counted_world: dict[str, Any]) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_filters_are_kept_in_the_url_and_reach_every_file_link(
    client: Client, erin: User, germany: Any, counted_world: dict[str, Any]
) -> None:
    response = _page(client, erin, {"administration": [str(germany.pk)], "compare": "none"})
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f'value="{germany.pk}" checked' in html
        or f'checked value="{germany.pk}"' in html
        or (re.search(rf'<input[^>]*value="{germany.pk}"[^>]*checked', html) is not None)
    )
    assert _table_rows(response, "transport_mode")[0][:2] == [counted_world["road_label"], "2"]
    links = re.findall(r'href="(/dashboards/[a-z_]+\.(?:csv|xlsx)[^"]*)"', html)
    assert links and all(f"administration={germany.pk}" in link.replace("&amp;", "&") for link in links)


def test_bad_filters_are_named_and_no_figure_is_shown(
    client: Client, erin: User, counted_world: dict[str, Any]
) -> None:
    response = _page(client, erin, {"date_from": "2025-05-01", "date_to": "2025-01-01", "hs_chapter": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "The end of the period is before its start." in html
    assert 'class="panel ' not in html and "panel-transport_mode" not in html
    # What was typed is shown back, escaped.
    assert 'value="2025-05-01"' in html


def test_typed_input_is_never_returned_as_markup(client: Client, erin: User, counted_world: dict[str, Any]) -> None:
    response = _page(client, erin, {"operation": "<script>alert(1)</script>", "currency": '"><img src=x>'})
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x>" not in html


def test_the_markup_has_no_inline_script_style_or_event_handler(
    client: Client, erin: User, counted_world: dict[str, Any]
) -> None:
    html = _page(client, erin).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="' in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"<style\b", html)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert '<script type="module" src="/static/js/dashboards/page.js">' in html
    assert 'src="/static/echarts/dist/echarts.min.js"' in html


def test_person_derived_panels_are_absent_without_the_capability(
    client: Client, grace: User, erin: User, counted_world: dict[str, Any]
) -> None:
    personal = [key for key, panel in PANELS.items() if panel.personal]
    if not personal:
        pytest.skip("no person-derived panel is registered")
    for user in (grace, erin):
        scope = statistics_scope(user=user)
        assert scope is not None
        html = _page(Client(), user).content.decode()
        for key in personal:
            assert (f'id="panel-{key}"' in html) is scope.personal, (user.username, key)


def test_the_map_panels_get_the_numeric_country_codes_of_world_atlas(
    client: Client, erin: User, counted_world: dict[str, Any]
) -> None:
    html = _page(client, erin).content.decode()
    match = re.search(r'<script id="dashboard-countries" type="application/json">(.*?)</script>', html)
    assert match
    codes = json.loads(match.group(1))
    assert codes["FR"] == "250" and codes["DE"] == "276" and codes["AF"] == "004"


def test_the_nav_links_to_the_dashboard(client: Client, alice: User, counted_world: dict[str, Any]) -> None:
    sign_in(client, alice)
    assert f'href="{reverse("dashboards:index")}"' in client.get("/").content.decode()


def test_a_panel_that_takes_too_long_says_so_and_the_others_are_still_shown(
    client: Client, erin: User, counted_world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def too_long(context: Any) -> Any:
        raise StatisticsTimeout("These filters take too long to count from the reports; narrow them.")

    monkeypatch.setitem(PANELS, "transport_mode", dataclasses.replace(PANELS["transport_mode"], compute=too_long))
    response = _page(client, erin, {"commodity_type": "cigarettes"})  # a filter only the reports answer
    assert response.status_code == 200
    html = response.content.decode()
    section = html[html.index('id="panel-transport_mode"') : html.index('id="panel-transport_mode"') + 3000]
    assert "take too long to count from the reports" in section
    assert 'id="panel-transport_mode-data"' not in html  # nothing to draw
    assert _table_rows(response, "map")  # the other panels are there


def test_the_filters_offer_the_regions_joint_operations_and_never_another_regions(
    client: Client, erin: User, region_we: Any, region_cis: Any, counted_world: dict[str, Any]
) -> None:
    Operation.objects.create(code="we-action-week", name="WE action week", region=region_we)
    Operation.objects.create(code="cis-secret", name="CIS secret operation", region=region_cis)
    Operation.objects.create(code="global-day", name="Global action day", region=None)
    html = _page(client, erin).content.decode()
    assert '<option value="we-action-week">WE action week</option>' in html
    assert '<option value="global-day">Global action day</option>' in html
    assert "cis-secret" not in html and "CIS secret operation" not in html
