"""Exports as XLSX (the CSV's columns and rules, text cells only), and exports above the row limit, which the
page hands to a background job (started by a POST, never by following a link)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.db import connection

from apps.audit.models import AuditEvent
from apps.jobs.models import Job
from apps.reference.models import CommodityType
from apps.reports import sql
from apps.reports.exports import export_chunks
from apps.reports.models import Report
from apps.reports.selectors import report_list
from apps.reports.services import report_share_with_administration
from tests.builders import build_report, cigarettes

from .conftest import sign_in
from .test_lists import export_rows, reports

__all__ = ["reports"]


def xlsx_rows(client, path: str = "/reports/export.xlsx", **params) -> list[list[Any]]:
    response = client.get(path, params)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = []
    sheet: Any = book.active
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.value is None or cell.data_type == "s", cell  # text cells only, never a formula
        rows.append(["" if cell.value is None else cell.value for cell in row])
    return rows


def csv_rows(client, path: str = "/reports/export.csv", **params) -> list[list[str]]:
    response = client.get(path, params)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_xlsx_export_holds_the_same_cells_as_the_csv(client, erin, reports):
    sign_in(client, erin)
    assert xlsx_rows(client) == csv_rows(client)
    assert xlsx_rows(client, "/reports/review/export.xlsx") == csv_rows(client, "/reports/review/export.csv")
    assert AuditEvent.objects.filter(actor=erin, action="report.export").count() == 4


def test_the_xlsx_export_fills_personal_columns_only_where_personal_data_may_be_seen(client, alice, erin, reports):
    Report.objects.filter(pk=reports["fr_sub"].pk).update(modus_operandi="Behind the sofa")
    Report.objects.filter(pk=reports["de_sub"].pk).update(modus_operandi="German secret")
    report_share_with_administration(
        report=reports["de_sub"], administration=reports["fr_sub"].administration, actor=erin
    )
    sign_in(client, alice)
    header, *body = xlsx_rows(client)
    rows = {row[header.index("National reference")]: dict(zip(header, row, strict=True)) for row in body}
    assert rows["FR-SUB"]["Modus operandi"] == "Behind the sofa"
    assert rows["DE-SUB"]["Modus operandi"] == ""


def test_the_xlsx_export_has_no_personal_columns_without_the_capability(client, bob, reports):
    from django.contrib.auth.models import Permission

    bob.groups.first().permissions.remove(Permission.objects.get(codename="view_personal_data_report"))
    sign_in(client, bob)
    header = xlsx_rows(client)[0]
    assert "National reference" in header and "Modus operandi" not in header
    assert "Conveyance identifiers" not in header


def test_the_xlsx_export_neutralises_formulas_and_keeps_markup_and_control_characters_as_text(client, alice, france):
    places = {"=1+1": "'=1+1", "@SUM(A1)": "'@SUM(A1)", "<b>&amp;</b>": "<b>&amp;</b>", "a\rb": "a\rb"}
    for number, place in enumerate(places):
        build_report(by=france, reference=f"R{number}", place=place)
    sign_in(client, alice)
    header, *body = xlsx_rows(client)
    found = {row[header.index("National reference")]: row[header.index("Place")] for row in body}
    assert sorted(found.values()) == sorted(places.values())


def test_the_items_hs_codes_and_brands_are_those_of_the_report(client, alice, france):
    build_report(by=france, reference="TWO", items=[cigarettes(brand="Zeta") for _ in range(2)])
    sign_in(client, alice)
    (row,) = export_rows(client)
    assert row["Items"].count(":") == 2 and row["Items"].count("; ") == 1
    assert row["Brands"] == "Zeta"


@pytest.mark.parametrize("path", ["/reports/export.csv", "/reports/export.xlsx", "/reports/review/export.csv"])
def test_an_export_above_the_limit_offers_a_background_job_and_a_get_never_starts_one(
    client, erin, reports, settings, path
):
    settings.RILO_EXPORT_ROW_LIMIT = 1
    sign_in(client, erin)
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert "made in the background" in page
    assert 'method="post"' in page and "csrfmiddlewaretoken" in page
    assert not Job.objects.exists()


def test_posting_the_export_starts_a_job_with_the_lists_filters_and_opens_its_page(client, erin, reports, settings):
    settings.RILO_EXPORT_ROW_LIMIT = 1
    sign_in(client, erin)
    response = client.post("/reports/export.xlsx?status=submitted")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.uuid}/"
    assert job.owner == erin and job.state == "queued"
    assert job.parameters["filters"] == {"status": ["submitted"]}
    assert job.parameters["format"] == "xlsx" and job.parameters["list"] == "reports"
    page = client.get(response["Location"]).content.decode()
    assert 'aria-live="polite"' in page and 'hx-trigger="every 2s"' in page and "Refresh" in page


def test_an_export_post_without_its_csrf_token_is_refused(erin, reports, settings):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    sign_in(client, erin)
    assert client.post("/reports/export.csv").status_code == 403
    assert not Job.objects.exists()


def test_an_export_at_the_limit_still_streams(client, erin, reports, settings):
    settings.RILO_EXPORT_ROW_LIMIT = 3  # erin sees exactly three reports
    sign_in(client, erin)
    assert len(export_rows(client)) == 3


def test_time_stamps_are_written_as_python_writes_them_in_iso_8601(client, alice, france, vocab):
    stamps = {
        "WHOLE": dt.datetime(2025, 4, 1, 12, 30, tzinfo=dt.UTC),
        "FRACTION": dt.datetime(2025, 4, 1, 12, 30, 5, 120, tzinfo=dt.UTC),
    }
    for reference, stamp in stamps.items():
        build_report(by=france, reference=reference, submitted_at=stamp)
    build_report(by=france, reference="DRAFT", status="draft")  # never submitted
    expected = {reference: stamp.isoformat() for reference, stamp in stamps.items()} | {"DRAFT": ""}
    sign_in(client, alice)
    assert {row["National reference"]: row["Submitted at"] for row in export_rows(client)} == expected
    header, *body = xlsx_rows(client)
    reference_at, submitted_at = header.index("National reference"), header.index("Submitted at")
    assert {row[reference_at]: row[submitted_at] for row in body} == expected


def test_an_export_closed_half_way_leaves_the_connection_clean(alice, france, vocab, monkeypatch):
    for number in range(5):
        build_report(by=france, reference=f"FR-{number}")
    monkeypatch.setattr(sql, "EXPORT_CSV_PIECE", 1)  # a piece per row: the COPY is not over after the first
    pieces = export_chunks(user=alice, reports=report_list(user=alice), file_format="csv", filters={})
    assert next(pieces).startswith(b'"UUID",') and next(pieces).count(b"\n") == 1
    pieces.close()  # what the response does when the client is gone: the COPY is cancelled, its savepoint rolled back
    assert not connection.needs_rollback
    assert Report.objects.filter(national_reference__startswith="FR-").count() == 5  # the connection answers
    assert AuditEvent.objects.filter(actor=alice, action="report.export").count() == 1  # recorded before the rows


def test_a_cell_holding_a_semicolon_is_quoted_so_a_semicolon_locale_never_splits_it_into_a_formula(
    client, alice, erin, france
):
    # Excel in French, German or Russian splits an unquoted line on ";": "x;=cmd|…" would be two cells, the second
    # a formula. Quoted, it is one text cell whatever the separator.
    brand = "x;=cmd|' /C calc'!A0"
    build_report(by=alice, reference="FR-INJECT", items=[cigarettes(brand=brand)])
    sign_in(client, erin)
    response = client.get("/reports/export.csv")
    text = b"".join(response.streaming_content).decode()
    line = next(line for line in text.splitlines() if "FR-INJECT" in line)
    assert f'"{brand}"' in line and f",{brand}" not in line
    assert all(cell.startswith('"') for cell in text.splitlines()[0].split(","))  # the header too


@pytest.mark.parametrize(
    ("path", "back"), [("/reports/export.csv", "/reports/"), ("/reports/review/export.xlsx", "/reports/review/")]
)
def test_an_export_link_followed_from_another_site_is_refused_and_not_audited(client, erin, reports, path, back):
    sign_in(client, erin)
    response = client.get(path, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403 and not response.streaming
    page = response.content.decode()
    assert "came from another site" in page and f'href="{back}"' in page
    assert not AuditEvent.objects.filter(action="report.export").exists()


@pytest.mark.parametrize("site", ["same-origin", "same-site", "none", None])
def test_an_export_from_our_own_pages_a_typed_address_or_an_older_browser_streams(client, erin, reports, site):
    sign_in(client, erin)
    headers = {"Sec-Fetch-Site": site} if site else {}
    response = client.get("/reports/export.csv", headers=headers)
    assert response.status_code == 200 and response.streaming
    b"".join(response.streaming_content)
    assert AuditEvent.objects.filter(actor=erin, action="report.export").count() == 1


@pytest.mark.parametrize(
    ("user", "page", "path"), [("alice", "/reports/", ""), ("erin", "/reports/review/", "review/")]
)
def test_the_file_lists_the_reports_in_the_pages_order_ties_broken_alike(client, france, request, user, page, path):
    # Same seizure date and submission time: only the tie-break orders them.
    same: dict[str, Any] = {"seizure_date": dt.date(2025, 3, 1), "submitted_at": dt.datetime(2025, 3, 2, tzinfo=dt.UTC)}
    references = [build_report(by=france, reference=f"TIE-{n}", **same).national_reference for n in range(4)]
    sign_in(client, request.getfixturevalue(user))
    html = client.get(page).content.decode()
    on_page = sorted(references, key=html.index)
    in_file = [row["National reference"] for row in export_rows(client, f"/reports/{path}export.csv")]
    assert in_file == on_page
    assert [row[1] for row in xlsx_rows(client, f"/reports/{path}export.xlsx")[1:]] == on_page


def test_the_export_writes_vocabulary_terms_in_the_readers_language(client, alice, france):
    alice.language = "fr"
    alice.save()
    build_report(by=france, reference="FR-LANG", items=[cigarettes()])
    CommodityType.objects.filter(code="cigarettes").update(translations={"fr": "Cigarettes manufacturées"})
    sign_in(client, alice)
    (row,) = export_rows(client)
    assert row["Méthodes de détection"] == "Rayons X / scanner"  # not "X-ray / scanner"
    assert row["Articles"] == "Cigarettes manufacturées: 200000 STK"
