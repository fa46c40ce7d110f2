"""An administration's submitted (unreviewed) reports are seen by that administration and the region's RILO staff
only: the figures never add them for anyone else, and no row names a report its reader may not open — on the page,
in the API and in a panel's CSV and XLSX files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.test import Client

from apps.core.exceptions import PermissionDenied
from apps.dashboards.filtersets import StatisticsFilters
from apps.dashboards.panels import panel_data
from apps.dashboards.selectors import statistics_scope
from apps.dashboards.services import statistics_rebuild
from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from tests.builders import build_report, cocaine
from tests.helpers import bearer, sign_in

API = "/api/v1/statistics/"
PAGE = "/dashboards/"
BOTH = {"state": ["approved", "submitted"]}
# Quantities no other report has: finding one in a response means the report it comes from was shown.
FR_SUBMITTED_KG, FR_APPROVED_KG, DE_APPROVED_KG = 7771, 3331, 121


@pytest.fixture
def reports(france: Any, germany: Any) -> dict[str, Report]:
    made = {
        "fr_submitted": build_report(
            by=france, status=ReportStatus.SUBMITTED, seizure_date=dt.date(2025, 3, 5), items=[cocaine(FR_SUBMITTED_KG)]
        ),
        "fr_approved": build_report(
            by=france, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 3, 6), items=[cocaine(FR_APPROVED_KG)]
        ),
        "de_approved": build_report(
            by=germany, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 3, 7), items=[cocaine(DE_APPROVED_KG)]
        ),
    }
    statistics_rebuild()
    return made


def _body(response: Any) -> bytes:
    """A response's text (an XLSX file's sheet)."""
    body = b"".join(response.streaming_content) if response.streaming else bytes(response.content)
    if body.startswith(b"PK"):
        return zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml")
    return body


def _mentions(content: bytes, *quantities: int) -> set[int]:
    text = content.decode(errors="replace").replace(",", "").replace("\N{NO-BREAK SPACE}", "")
    return {quantity for quantity in quantities if str(quantity) in text}


@pytest.mark.parametrize("key", ["key_figures", "largest_seizures", "categories", "map"])
def test_an_officer_of_another_administration_cannot_add_submitted_reports_through_the_api(
    api: Any, issue_token: Any, reports: dict[str, Report], bob: Any, key: str
) -> None:
    response = api.get(f"{API}{key}/", BOTH, **bearer(issue_token(bob)))
    assert response.status_code == 400
    assert "state" in response.json()["details"]
    assert "RILO staff" in str(response.json()["details"]["state"])
    assert not _mentions(response.content, FR_SUBMITTED_KG)


def test_an_officer_of_another_administration_cannot_add_submitted_reports_on_the_page(
    client: Client, reports: dict[str, Report], bob: Any
) -> None:
    sign_in(client, bob)
    plain = client.get(PAGE)
    assert plain.status_code == 200
    assert 'value="submitted"' not in plain.content.decode()  # the form does not offer it
    response = client.get(PAGE, BOTH)
    assert "RILO staff" in response.content.decode()
    assert not _mentions(response.content, FR_SUBMITTED_KG)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("key", ["key_figures", "largest_seizures"])
def test_an_officer_of_another_administration_cannot_add_submitted_reports_to_a_panels_file(
    client: Client, reports: dict[str, Report], bob: Any, key: str, file_format: str
) -> None:
    sign_in(client, bob)
    response = client.get(f"{PAGE}{key}.{file_format}", BOTH)
    assert response.status_code == 400
    assert not _mentions(_body(response), FR_SUBMITTED_KG)


def test_the_regions_rilo_staff_may_add_submitted_reports(
    api: Any, issue_token: Any, client: Client, reports: dict[str, Report], erin: Any
) -> None:
    response = api.get(f"{API}largest_seizures/", BOTH, **bearer(issue_token(erin)))
    assert response.status_code == 200
    assert _mentions(response.content, FR_SUBMITTED_KG, FR_APPROVED_KG, DE_APPROVED_KG) == {
        FR_SUBMITTED_KG,
        FR_APPROVED_KG,
        DE_APPROVED_KG,
    }
    sign_in(client, erin)
    assert 'value="submitted"' in client.get(PAGE).content.decode()
    assert client.get(f"{PAGE}largest_seizures.csv", BOTH).status_code == 200


def test_submitted_reports_cannot_be_asked_of_the_figures_by_another_way(reports: dict[str, Report], bob: Any) -> None:
    scope = statistics_scope(user=bob)
    assert scope is not None and not scope.submitted
    with pytest.raises(PermissionDenied):
        both = StatisticsFilters(states=("approved", "submitted"))
        panel_data(user=bob, scope=scope, key="key_figures", filters=both)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_largest_seizures_name_only_reports_the_reader_may_open(
    api: Any, issue_token: Any, client: Client, reports: dict[str, Report], bob: Any, alice: Any, file_format: str
) -> None:
    data = api.get(f"{API}largest_seizures/", **bearer(issue_token(bob))).json()
    assert [row["quantity"] for row in data["rows"]] == [DE_APPROVED_KG]
    assert all(row["drill"] for row in data["rows"])
    assert any("cannot open" in note for note in data["notes"])
    sign_in(client, bob)
    page = client.get(PAGE)
    assert _mentions(page.content, FR_APPROVED_KG, FR_SUBMITTED_KG) == set()
    assert _mentions(_body(client.get(f"{PAGE}largest_seizures.{file_format}")), FR_APPROVED_KG) == set()
    assert _mentions(_body(client.get(f"{PAGE}largest_seizures.{file_format}")), DE_APPROVED_KG) == {DE_APPROVED_KG}
    alices = api.get(f"{API}largest_seizures/", **bearer(issue_token(alice))).json()
    assert [row["quantity"] for row in alices["rows"]] == [FR_APPROVED_KG]
