"""Report lists and the review queue: scope, filters, full-text search, pagination, CSV export, query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEvent
from apps.reports.choices import ReportStatus
from apps.reports.models import Report, ReportItem
from apps.reports.search import refresh_search_vectors
from apps.reports.services import report_share_with_administration
from tests.builders import build_report, cigarettes

from .conftest import sign_in


def references(client, path: str, **params) -> list[str]:
    response = client.get(path, params)
    assert response.status_code == 200
    page = response.content.decode()
    import re

    return re.findall(r'<a href="/reports/[0-9a-f-]{36}/">([^<]+)</a>', page)


def export_rows(client, path: str = "/reports/export.csv", **params) -> list[dict[str, str]]:
    response = client.get(path, params)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def reports(france, germany, kazakhstan, vocab):
    # Seizure dates fixed (not the factory's running ones), so the date filters below give the same
    # answer in any test order: January, March, or May-June.
    march = dt.date(2025, 3, 15)
    # Marlboro by sea, but Germany's Winston by road: the search and the transport filter tell them apart.
    marlboro = {"transport_mode": vocab.sea, "items": [cigarettes(brand="Marlboro")]}
    return {
        "fr_draft": build_report(
            by=france, status=ReportStatus.DRAFT, reference="FR-DRAFT", seizure_date=march, **marlboro
        ),
        "fr_sub": build_report(by=france, reference="FR-SUB", seizure_date=dt.date(2025, 1, 10), **marlboro),
        "fr_app": build_report(
            by=france, status=ReportStatus.APPROVED, reference="FR-APP", seizure_date=dt.date(2025, 6, 1), **marlboro
        ),
        "de_sub": build_report(
            by=germany,
            reference="DE-SUB",
            transport_mode=vocab.road,
            seizure_date=march,
            items=[cigarettes(brand="Winston")],
        ),
        "kz_sub": build_report(by=kazakhstan, reference="KZ-SUB", seizure_date=march, **marlboro),
    }


def test_officers_list_their_administrations_reports_only(client, alice, reports):
    sign_in(client, alice)
    assert sorted(references(client, "/reports/")) == ["FR-APP", "FR-DRAFT", "FR-SUB"]


def test_analysts_list_their_regions_reports_but_never_drafts(client, erin, farid, reports):
    sign_in(client, erin)
    assert sorted(references(client, "/reports/")) == ["DE-SUB", "FR-APP", "FR-SUB"]
    sign_in(client, farid)
    assert references(client, "/reports/") == ["KZ-SUB"]


def test_the_review_queue_holds_submitted_reports_of_the_region_oldest_first(
    client, erin, france, germany, vocab, reports
):
    newest = build_report(by=france, reference="FR-NEW")
    Report.objects.filter(pk=newest.pk).update(submitted_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    oldest = build_report(by=germany, reference="DE-OLD")
    Report.objects.filter(pk=oldest.pk).update(submitted_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    sign_in(client, erin)
    queue = references(client, "/reports/review/")
    assert queue[0] == "DE-OLD" and queue[-1] == "FR-NEW"
    assert set(queue) == {"DE-OLD", "FR-SUB", "DE-SUB", "FR-NEW"}


def test_the_review_queue_is_for_reviewers(client, alice, reports):
    sign_in(client, alice)
    assert client.get("/reports/review/").status_code == 403


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "approved"}, ["FR-APP"]),
        ({"status": ["submitted", "approved"]}, ["DE-SUB", "FR-APP", "FR-SUB"]),
        ({"date_from": "2025-05-01", "date_to": "2025-06-30"}, ["FR-APP"]),
        ({"date_to": "2025-01-31"}, ["FR-SUB"]),
        ({"transport_mode": "3"}, ["DE-SUB"]),
        ({"q": "winston"}, ["DE-SUB"]),
        ({"q": "FR-APP"}, ["FR-APP"]),
        ({"q": "marlboro -winston"}, ["FR-APP", "FR-SUB"]),
        ({"country_of_seizure": "DE"}, ["DE-SUB"]),
    ],
)
def test_filters_narrow_the_list(client, erin, reports, params, expected):
    sign_in(client, erin)
    assert sorted(references(client, "/reports/", **params)) == expected


def test_the_commodity_category_filter(client, erin, reports, vocab):
    ReportItem.objects.filter(report=reports["fr_sub"]).update(
        commodity_category=vocab.drugs, commodity_type=vocab.cocaine
    )
    sign_in(client, erin)
    assert references(client, "/reports/", commodity_category="drugs") == ["FR-SUB"]


def test_rilo_staff_filter_by_administration_of_their_region_only(client, erin, germany, kazakhstan, reports):
    sign_in(client, erin)
    assert references(client, "/reports/", administration=germany.pk) == ["DE-SUB"]
    response = client.get("/reports/", {"administration": kazakhstan.pk})
    assert "Select a valid choice" in response.content.decode()
    assert references(client, "/reports/", administration=kazakhstan.pk) == []


def test_officers_are_not_offered_an_administration_filter(client, alice, reports):
    sign_in(client, alice)
    assert 'name="administration"' not in client.get("/reports/").content.decode()
    # and one smuggled into the query changes nothing
    assert sorted(references(client, "/reports/", administration=reports["de_sub"].administration_id)) == [
        "FR-APP",
        "FR-DRAFT",
        "FR-SUB",
    ]


def test_the_list_is_paginated(client, alice, france, vocab):
    import html
    import re

    for number in range(30):
        build_report(by=france, reference=f"FR-{number:03d}")
    sign_in(client, alice)
    first = references(client, "/reports/")
    page = client.get("/reports/").content.decode()
    following = re.search(r'<a href="\?cursor=([^"]+)" rel="next">', page)
    assert following is not None
    second = references(client, "/reports/", cursor=html.unescape(following.group(1)))
    assert len(first) == 25 and len(second) == 5
    assert not set(first) & set(second)
    assert "30 reports" in page


def test_export_holds_exactly_the_filtered_rows_the_user_may_see(client, erin, reports):
    sign_in(client, erin)
    rows = export_rows(client, status="submitted")
    assert sorted(row["National reference"] for row in rows) == ["DE-SUB", "FR-SUB"]
    assert sorted(r["National reference"] for r in export_rows(client)) == ["DE-SUB", "FR-APP", "FR-SUB"]
    assert AuditEvent.objects.filter(actor=erin, action="report.export").count() == 2


def test_the_review_queue_exports_its_own_rows(client, erin, reports):
    sign_in(client, erin)
    rows = export_rows(client, "/reports/review/export.csv")
    assert sorted(row["National reference"] for row in rows) == ["DE-SUB", "FR-SUB"]


@pytest.mark.parametrize(
    ("path", "export"), [("/reports/", "/reports/export"), ("/reports/review/", "/reports/review/export")]
)
def test_each_list_links_to_its_own_csv_and_xlsx_exports_with_its_filters(client, erin, reports, path, export):
    sign_in(client, erin)
    page = client.get(path, {"country_of_seizure": "DE"}).content.decode()
    for extension in ("csv", "xlsx"):
        assert f'href="{export}.{extension}?country_of_seizure=DE">Download as {extension.upper()}</a>' in page


def test_export_fills_personal_columns_only_where_personal_data_may_be_seen(client, alice, erin, reports):
    Report.objects.filter(pk=reports["fr_sub"].pk).update(modus_operandi="Behind the sofa")
    Report.objects.filter(pk=reports["de_sub"].pk).update(modus_operandi="German secret")
    report_share_with_administration(
        report=reports["de_sub"], administration=reports["fr_sub"].administration, actor=erin
    )
    sign_in(client, alice)
    rows = {row["National reference"]: row for row in export_rows(client)}
    assert set(rows) == {"FR-DRAFT", "FR-SUB", "FR-APP", "DE-SUB"}  # DE-SUB shared with France, view only
    assert rows["FR-SUB"]["Modus operandi"] == "Behind the sofa"
    assert rows["DE-SUB"]["Modus operandi"] == ""


def test_export_has_no_personal_columns_without_the_capability(client, bob, germany, vocab, reports):
    from django.contrib.auth.models import Permission

    bob.groups.first().permissions.remove(Permission.objects.get(codename="view_personal_data_report"))
    sign_in(client, bob)
    rows = export_rows(client)
    assert rows and "Modus operandi" not in rows[0] and "Conveyance identifiers" not in rows[0]


def test_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(client, alice, france, vocab):
    dangerous = {
        '=HYPERLINK("http://x")': '\'=HYPERLINK("http://x")',
        "+33 1 2": "'+33 1 2",
        "-2+3": "'-2+3",
        "@SUM(A1)": "'@SUM(A1)",
        "\tcmd": "'\tcmd",
        "\rcmd": "'\rcmd",
        "Plain": "Plain",
    }
    for number, text in enumerate(dangerous):
        report = build_report(by=france, reference=f"R{number}", place=text)
        refresh_search_vectors([report.pk])
    sign_in(client, alice)
    places = {row["National reference"]: row["Place"] for row in export_rows(client)}
    assert sorted(places.values()) == sorted(dangerous.values())


def test_export_needs_the_export_capability(client, grace, reports):
    sign_in(client, grace)
    assert client.get("/reports/export.csv").status_code == 403


def _count(client, path: str) -> int:
    client.get(path)  # warm caches that are not per row (content types, sessions)
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
        else:
            assert response.status_code == 200
    return len(context)


@pytest.mark.parametrize("path", ["/reports/", "/reports/review/", "/reports/export.csv", "/reports/review/export.csv"])
def test_list_queries_do_not_grow_with_the_number_of_rows(client, erin, france, germany, vocab, path):
    sign_in(client, erin)

    def add(count: int) -> None:
        for number in range(count):
            build_report(by=france if number % 2 else germany, items=[cigarettes(1000), cigarettes(2000)])

    add(30)  # more than a page: a list that fits on one page is counted without a query
    at_thirty = _count(client, path)
    add(30)  # 60 rows
    at_sixty = _count(client, path)
    assert at_thirty == at_sixty, (at_thirty, at_sixty)


def test_list_query_count_stays_within_a_fixed_budget(client, alice, france, vocab, django_assert_max_num_queries):
    for _ in range(30):
        build_report(by=france, items=[cigarettes(1000 * n) for n in (1, 2, 3)])
    sign_in(client, alice)
    client.get("/reports/")
    with django_assert_max_num_queries(20):
        assert client.get("/reports/").status_code == 200
