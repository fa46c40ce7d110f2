"""List pages by keyset: Next/Previous links carrying a cursor, every row once in order, bounded counts, old
``?page=N`` links, constant query counts whatever the page's depth or fill, and scope on every page."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.reports.choices import ORDERING_CHOICES, ORDERINGS, ReportStatus
from apps.reports.models import Report
from apps.reports.views import lists
from tests.builders import build_report, cigarettes

from .conftest import sign_in

REFERENCE = re.compile(r'<a href="/reports/[0-9a-f-]{36}/">([^<]+)</a>')


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found.group(1)) if found else None


def next_link(page: str) -> str:
    following = link(page, "next")
    assert following is not None, "no Next link"
    return following


def get_page(client: Client, path: str, params: dict | None = None) -> str:
    response = client.get(path, params or {})
    assert response.status_code == 200
    return response.content.decode()


def walk(client: Client, path: str, params: dict | None = None) -> list[list[str]]:
    """Every page of a list, following its Next links from the first page; the references of each page."""
    pages = []
    page = get_page(client, path, params)
    while True:
        pages.append(REFERENCE.findall(page))
        following = link(page, "next")
        if following is None:
            return pages
        page = get_page(client, path + following)


def walk_back(client: Client, path: str, last_page: str) -> list[list[str]]:
    """The pages before ``last_page`` (its HTML), following Previous links."""
    pages = []
    page = last_page
    while (previous := link(page, "prev")) is not None:
        page = get_page(client, path + previous)
        pages.append(REFERENCE.findall(page))
    return pages


@pytest.fixture
def many(france, germany, kazakhstan) -> list[Report]:
    """60 reports of France and Germany over 4 seizure dates (ties on the key), submitted a minute apart but for
    4 drafts (no submission date), and 5 of Kazakhstan (another region)."""
    reports = []
    for number in range(60):
        draft = number % 15 == 0
        reports.append(
            build_report(
                by=france if number % 3 else germany,
                status=ReportStatus.DRAFT if draft else ReportStatus.SUBMITTED,
                reference=f"R-{number:03d}",
                seizure_date=dt.date(2025, 1, 1) + dt.timedelta(days=number % 4),
                submitted_at=None if draft else dt.datetime(2025, 4, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=number),
            )
        )
    for number in range(5):
        build_report(by=kazakhstan, reference=f"KZ-{number}")
    return reports


def _expected(reports: list[Report], ordering: str) -> list[str]:
    """The references in the page order, computed here from the rows: ``ordering`` then the primary key in the same
    direction; a null submission date last either way."""
    name = ordering.lstrip("-")
    descending = ordering.startswith("-")
    present = [r for r in reports if getattr(r, name) is not None]
    absent = [r for r in reports if getattr(r, name) is None]
    present.sort(key=lambda r: (getattr(r, name), r.pk), reverse=descending)
    absent.sort(key=lambda r: r.pk, reverse=descending)
    return [r.national_reference for r in present + absent]


def test_every_ordering_offered_is_served_by_an_index_on_the_field_and_the_key():
    def columns(index) -> tuple[str, ...]:
        if index.fields:
            return tuple(name.lstrip("-") for name in index.fields)
        return tuple(expression.expression.name for expression in index.expressions)

    indexed = {columns(index) for index in Report._meta.indexes}
    for ordering in ORDERINGS:
        assert (ordering.lstrip("-"), "id") in indexed, ordering


@pytest.mark.parametrize("ordering", ["", *(value for value, _ in ORDERING_CHOICES)])
def test_next_links_visit_every_row_once_in_order_and_previous_links_come_back(client, alice, many, ordering):
    sign_in(client, alice)
    own = [report for report in many if report.administration_id == alice.administration_id]
    params = {"ordering": ordering} if ordering else {}
    pages = walk(client, "/reports/", params)
    assert [len(page) for page in pages] == [25, 15]
    assert [reference for page in pages for reference in page] == _expected(own, ordering or "-seizure_date")
    last = get_page(client, "/reports/" + next_link(get_page(client, "/reports/", params)))
    assert walk_back(client, "/reports/", last) == pages[:-1]


def test_the_review_queue_walks_every_submitted_report_of_the_region_oldest_submission_first(client, erin, many):
    sign_in(client, erin)
    pages = walk(client, "/reports/review/")
    submitted = [report for report in many if report.status == ReportStatus.SUBMITTED]
    assert [reference for page in pages for reference in page] == _expected(submitted, "submitted_at")
    assert len(pages) == 3


def test_filters_and_search_stay_on_every_page(client, erin, many):
    sign_in(client, erin)
    for report in many[:40]:
        Report.objects.filter(pk=report.pk).update(country_of_seizure="BE")
    pages = walk(client, "/reports/", {"country_of_seizure": "BE"})
    listed = sorted(reference for page in pages for reference in page)
    assert listed == sorted(r.national_reference for r in many[:40] if r.status != ReportStatus.DRAFT)
    assert len(pages) == 2


def test_another_tenants_reports_are_on_no_page(client, alice, erin, many, kazakhstan):
    sign_in(client, alice)
    french = {r.national_reference for r in many if r.administration_id == alice.administration_id}
    assert {reference for page in walk(client, "/reports/") for reference in page} == french
    sign_in(client, erin)
    listed = {reference for page in walk(client, "/reports/") for reference in page}
    assert listed == {r.national_reference for r in many if r.status != ReportStatus.DRAFT}
    assert not any(reference.startswith("KZ-") for reference in listed)


def test_a_cursor_made_from_another_tenants_report_lists_only_the_users_own(client, alice, many, kazakhstan):
    # A cursor carries a key, not a right: one made from a report out of reach pages through the user's own.
    foreign = Report.objects.filter(administration=kazakhstan).first()
    assert foreign is not None
    key = json.dumps(["n", [foreign.seizure_date.isoformat(), foreign.pk]]).encode()
    cursor = base64.urlsafe_b64encode(key).decode().rstrip("=")
    sign_in(client, alice)
    listed = REFERENCE.findall(get_page(client, "/reports/", {"cursor": cursor}))
    own = {r.national_reference for r in many if r.administration_id == alice.administration_id}
    assert listed and set(listed) <= own


def test_an_old_numbered_page_link_leads_to_the_first_page_with_its_filters(client, alice, many):
    sign_in(client, alice)
    response = client.get("/reports/", {"page": "3", "status": "submitted"})
    assert response.status_code == 302
    assert response["Location"] == "/reports/?status=submitted"
    response = client.get("/reports/review/?page=500")
    assert response.status_code in (302, 403)  # officers have no queue; never a 500


def test_a_cursor_that_is_not_one_leads_to_the_first_page(client, alice, many):
    sign_in(client, alice)
    for cursor in ("nonsense", "W10", "WyJuIiwgWyIyMDI1LTAxLTAxIl1d", "WyJ4IixbIjIwMjUtMDEtMDEiLDFdXQ"):
        response = client.get("/reports/", {"cursor": cursor, "status": "submitted"})
        assert response.status_code == 302, cursor
        assert response["Location"] == "/reports/?status=submitted"


@pytest.mark.parametrize(
    ("key", "ordering"),
    [(["2025-03-14", float("inf")], ""), (["2025-03-14", 1e400], ""), (["a\u0000b", 1], "national_reference")],
    ids=["infinite-id", "overflowing-id", "nul-in-text"],
)
def test_a_forged_cursor_the_database_cannot_take_leads_to_the_first_page(client, alice, many, key, ordering):
    sign_in(client, alice)
    cursor = base64.urlsafe_b64encode(json.dumps(["n", key]).encode()).decode().rstrip("=")
    response = client.get("/reports/", {"cursor": cursor, "ordering": ordering})
    assert response.status_code == 302


def test_the_count_is_exact_up_to_the_limit_then_says_more_than(client, alice, france, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_LIMIT", 27)
    sign_in(client, alice)
    build_report(by=france)
    assert "1 report<" in get_page(client, "/reports/")  # one page: its rows are the count
    for _ in range(26):
        build_report(by=france)
    page = get_page(client, "/reports/")
    assert "27 reports<" in page  # two pages, counted
    assert "27 reports<" in get_page(client, "/reports/" + next_link(page))
    build_report(by=france)
    page = get_page(client, "/reports/")
    assert "More than 27 reports" in page and "28 reports" not in page


def test_large_counts_are_written_with_thousands_separators(client, alice, france, vocab, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_LIMIT", 1000)
    Report.objects.bulk_create(
        Report(
            administration=france,
            national_reference=f"B-{number}",
            seizure_date=dt.date(2025, 1, 1),
            country_of_seizure="FR",
        )
        for number in range(1001)
    )
    sign_in(client, alice)
    assert "More than 1,000 reports" in get_page(client, "/reports/")


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm what is cached per process (content types, permissions)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.mark.parametrize(
    ("persona", "path"), [("alice", "/reports/"), ("erin", "/reports/"), ("erin", "/reports/review/")]
)  # officers have no review queue
def test_queries_are_the_same_on_the_first_and_a_deep_page_full_or_not(request, client, many, persona, path):
    user = request.getfixturevalue(persona)
    for report in many:
        build_report(by=report.administration, items=[cigarettes(1000 * n) for n in (1, 2, 3)])  # more rows, more items
    sign_in(client, user)
    first = get_page(client, path)
    deep = link(first, "next")
    urls = [path]
    while deep is not None:
        urls.append(path + deep)
        deep = link(get_page(client, path + deep), "next")
    assert len(urls) >= 3
    counts = {url: _queries(client, url) for url in (urls[0], urls[len(urls) // 2], urls[-1])}
    assert len(set(counts.values())) == 1, counts


def test_a_page_emptied_meanwhile_says_so_and_links_to_the_first_page(client, alice, france):
    for number in range(30):  # a seizure date each: the second page holds the 5 oldest
        build_report(by=france, seizure_date=dt.date(2025, 3, 1) + dt.timedelta(days=number))
    sign_in(client, alice)
    second = "/reports/" + next_link(get_page(client, "/reports/"))
    Report.objects.filter(pk__in=Report.objects.order_by("seizure_date", "pk").values("pk")[:5]).delete()
    page = get_page(client, second)
    assert "No reports match." in page
    assert '<a href="/reports/">First page</a>' in page


def test_page_links_are_plain_links_in_a_labelled_navigation(client, alice, france):
    for _ in range(60):
        build_report(by=france)
    sign_in(client, alice)
    second = get_page(client, "/reports/" + next_link(get_page(client, "/reports/")))
    nav = re.search(r'<nav class="pagination" aria-label="Pages">(.*?)</nav>', second, re.S)
    assert nav is not None
    # Links a keyboard reaches in order (no script, no buttons): First page, Previous, Next.
    assert re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(1)) == ["First page", "Previous", "Next"]
