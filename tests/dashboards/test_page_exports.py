"""Each panel's CSV and XLSX files: the panel's figures (panel_data's, for the reader's scope and the filters in the
URL), cells a spreadsheet never runs, refused from another site, and nothing for a panel the reader may not see."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.dashboards.filtersets import StatisticsFilters
from apps.dashboards.panels import PANELS, panel_data
from apps.dashboards.selectors import statistics_scope
from apps.dashboards.services import statistics_mark_dirty, statistics_recompute_dirty
from apps.reference.models import TransportMode
from apps.reports.choices import ReportStatus
from tests.builders import build_report
from tests.dashboards import page_fixtures
from tests.helpers import sign_in

counted_world = page_fixtures.counted_world


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _xlsx(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    rows = re.findall(r"<row>(.*?)</row>", sheet)
    return [[cell or "" for cell in re.findall(r"<c(?:/>|[^>]*><is><t[^>]*>(.*?)</t></is></c>)", row)] for row in rows]


def test_a_panels_csv_holds_its_columns_with_their_units_and_its_rows(
    client: Client, erin: User, counted_world: dict[str, Any]
) -> None:
    sign_in(client, erin)
    response = client.get("/dashboards/transport_mode.csv")
    assert 'filename="dashboard-transport_mode-' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    rows = _csv(response)
    scope = statistics_scope(user=erin)
    assert scope is not None
    data = panel_data(user=erin, scope=scope, key="transport_mode", filters=StatisticsFilters())
    assert rows[0] == [f"{c['label']} ({c['unit_label']})" if c["unit"] else c["label"] for c in data["columns"]]
    assert rows[1:] == [[str(row[c["key"]]) for c in data["columns"]] for row in data["rows"]]
    assert rows[1][:2] == [counted_world["road_label"], "5"]


def test_a_panels_xlsx_holds_the_same_cells_as_its_csv(
    client: Client, erin: User, counted_world: dict[str, Any]
) -> None:
    sign_in(client, erin)
    for key in ("key_figures", "categories", "map"):
        as_csv = _csv(client.get(f"/dashboards/{key}.csv"))
        response = client.get(f"/dashboards/{key}.xlsx")
        assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
        assert _xlsx(response) == as_csv, key


def test_the_files_follow_the_filters_in_the_url(
    client: Client, erin: User, germany: Any, counted_world: dict[str, Any]
) -> None:
    sign_in(client, erin)
    rows = _csv(client.get("/dashboards/transport_mode.csv", {"administration": germany.pk}))
    assert rows[1][:2] == [counted_world["road_label"], "2"]


def test_a_cell_that_a_spreadsheet_would_run_is_neutralised(
    client: Client, erin: User, france: Any, counted_world: dict[str, Any]
) -> None:
    formula = TransportMode.objects.create(code="FORMULA", label='=HYPERLINK("http://evil.example","x")')
    report = build_report(by=france, reference="DASH-FR-FORMULA", status=ReportStatus.APPROVED, transport_mode=formula)
    statistics_mark_dirty(report=report)  # as the workflow does, then the worker's recompute
    statistics_recompute_dirty()
    sign_in(client, erin)
    for rows in (
        _csv(client.get("/dashboards/transport_mode.csv")),
        _xlsx(client.get("/dashboards/transport_mode.xlsx")),
    ):
        labels = [row[0] for row in rows[1:]]
        assert "'" + formula.label in labels or "'" + formula.label.replace('"', "&quot;") in labels, labels
        assert not any(label.startswith(("=", "+", "-", "@")) for label in labels)


def test_a_download_started_by_another_site_is_refused(
    client: Client, erin: User, counted_world: dict[str, Any]
) -> None:
    sign_in(client, erin)
    response = client.get("/dashboards/transport_mode.csv", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert b"came from another site" in response.content
    assert client.get("/dashboards/transport_mode.csv", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200


def test_bad_filters_make_no_file_and_say_why(client: Client, erin: User, counted_world: dict[str, Any]) -> None:
    sign_in(client, erin)
    response = client.get("/dashboards/transport_mode.csv", {"date_from": "2025-05-01", "date_to": "2025-01-01"})
    assert response.status_code == 400
    assert b"The end of the period is before its start." in response.content


def test_an_unknown_panel_is_not_found(client: Client, erin: User, counted_world: dict[str, Any]) -> None:
    sign_in(client, erin)
    assert client.get("/dashboards/no_such_panel.csv").status_code == 404


def test_a_person_derived_panel_is_not_found_without_the_capability(
    client: Client, grace: User, erin: User, counted_world: dict[str, Any]
) -> None:
    personal = [key for key, panel in PANELS.items() if panel.personal]
    if not personal:
        pytest.skip("no person-derived panel is registered")
    for user in (grace, erin):
        scope = statistics_scope(user=user)
        assert scope is not None
        viewer = Client()
        sign_in(viewer, user)
        for key in personal:
            status = viewer.get(f"/dashboards/{key}.csv").status_code
            assert status == (200 if scope.personal else 404), (user.username, key, status)


def test_who_sees_no_regions_figures_gets_no_file(client: Client, ivan: User, counted_world: dict[str, Any]) -> None:
    sign_in(client, ivan)
    assert client.get("/dashboards/transport_mode.csv").status_code == 403


def test_an_analyst_of_another_region_gets_that_regions_figures_only(
    client: Client, farid: User, counted_world: dict[str, Any]
) -> None:
    sign_in(client, farid)
    rows = _csv(client.get("/dashboards/transport_mode.csv"))
    assert rows[1][:2] == [counted_world["road_label"], "1"]


def test_a_person_derived_panels_file_is_audited_and_others_are_not(
    client: Client, erin: User, counted_world: dict[str, Any]
) -> None:
    personal = [key for key, panel in PANELS.items() if panel.personal]
    if not personal:
        pytest.skip("no person-derived panel is registered")
    scope = statistics_scope(user=erin)
    assert scope is not None and scope.personal
    sign_in(client, erin)
    _csv(client.get("/dashboards/transport_mode.csv"))
    assert not AuditEvent.objects.filter(action="dashboards.panel_export").exists()
    _csv(client.get(f"/dashboards/{personal[0]}.csv", {"compare": "none"}))
    event = AuditEvent.objects.get(action="dashboards.panel_export")
    assert event.actor_id == erin.pk and event.region_id == erin.region_id
    assert event.detail["panel"] == personal[0] and event.detail["format"] == "csv"
    assert event.detail["filters"] == "compare=none"
