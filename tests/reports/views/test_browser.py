"""The report pages in a real browser (Chromium through Playwright): 360 px wide, keyboard, htmx at work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from tests.browser import launch, sync_playwright
from tests.builders import build_report, entry_form_report

pytestmark = [
    pytest.mark.slow,
]


@pytest.fixture
def browser_page(transactional_db: None, live_server: Any, alice: Any, vocab: Any, monkeypatch) -> Iterator[Any]:
    """A 360 px wide page signed in as alice."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    client = Client()
    client.force_login(alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 360, "height": 740})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.base_url = live_server.url  # type: ignore[attr-defined]
        yield page
        page.wait_for_load_state("networkidle")  # let htmx requests finish before the database goes away
        browser.close()
        # The ORM used by the test body inside Playwright's event loop has its own connection: close it.
        connections.close_all()


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_report_pages_fit_a_360_px_screen(browser_page, alice):
    page = browser_page
    report = build_report(
        by=alice, reference="FR-2025-0001", status=ReportStatus.DRAFT, through_services=True, **entry_form_report()
    )
    for path in ("/reports/new/", "/reports/new/?variant=simplified", "/reports/", f"/reports/{report.uuid}/"):
        page.goto(page.base_url + path)
        assert page.title() != ""
        assert no_horizontal_scroll(page), path


def test_the_form_is_reached_in_order_with_the_keyboard(browser_page):
    page = browser_page
    page.goto(page.base_url + "/reports/new/")
    page.focus("#id_kind")
    order: list[str] = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        if not order or order[-1] != focused:  # a date input takes one Tab per part (day, month, year)
            order.append(focused)
    assert order[:4] == ["id_national_reference", "id_seizure_date", "id_seizure_time", "id_country_of_seizure"]


def test_rows_are_added_and_removed_without_reloading_the_page(browser_page):
    page = browser_page
    page.goto(page.base_url + "/reports/new/")
    page.evaluate("window.notReloaded = true")
    page.click("text=Add an item")
    page.wait_for_selector("[name='items-1-quantity']")
    assert page.input_value("#id_items-TOTAL_FORMS") == "2"
    assert page.evaluate("document.activeElement.name") == "items-1-commodity_category"
    page.fill("[name='items-1-quantity']", "12")
    page.click("#row-items-1 >> text=Remove item")
    page.wait_for_selector("input[name='items-1-DELETE'][value='on']", state="attached")
    assert page.evaluate("window.notReloaded") is True


def test_commodity_types_follow_the_category_and_the_quantity_is_normalised(browser_page):
    page = browser_page
    page.goto(page.base_url + "/reports/new/")
    page.select_option("#id_items-0-commodity_category", "drugs")
    page.wait_for_selector("#id_items-0-commodity_type option[value='cocaine']", state="attached")
    page.fill("#id_items-0-quantity", "1500")
    page.select_option("#id_items-0-unit", "GRM")
    page.wait_for_selector("#items-0-normalised >> text=1.5 kg")


def test_an_error_moves_the_focus_to_the_summary_and_keeps_the_input(browser_page):
    page = browser_page
    page.goto(page.base_url + "/reports/new/")
    page.fill("#id_national_reference", "FR-BROWSER-1")
    page.fill("#id_seizure_date", "1985-05-05")
    page.fill("#id_country_of_seizure", "FR")
    page.click("text=Save draft")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.input_value("#id_national_reference") == "FR-BROWSER-1"
    page.click("#error-summary a")
    assert page.evaluate("document.activeElement.id") == "id_seizure_date"
    assert not Report.objects.exists()


def test_what_is_typed_is_kept_on_the_server_as_it_is_typed(browser_page):
    page = browser_page
    page.goto(page.base_url + "/reports/new/")
    page.fill("#id_national_reference", "FR-AUTOSAVED")
    page.press("#id_national_reference", "Tab")
    page.wait_for_selector("#autosave-status >> text=Kept on the server")
    from apps.autosave.models import FormDraft

    assert FormDraft.objects.get().payload["national_reference"] == ["FR-AUTOSAVED"]
