"""In a real browser (Chromium through Playwright): an officer signs in, switches to Russian in the header, and
enters a report with an error: the page, the error and the vocabulary are in Russian, and the choice is kept
on her profile."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from apps.accounts.models import User
from apps.reports.models import Report
from tests.browser import launch, sync_playwright
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.slow,
]


@pytest.fixture
def english_page(transactional_db: None, live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A signed-out page of a browser that asks for English."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(locale="en-GB", viewport={"width": 1024, "height": 900})
        page = context.new_page()
        page.base_url = live_server.url  # type: ignore[attr-defined]
        yield page
        page.wait_for_load_state("networkidle")
        browser.close()
        connections.close_all()


def test_an_officer_switches_to_russian_and_sees_the_form_its_error_and_the_vocabulary_in_russian(
    english_page: Any, alice: User
) -> None:
    page = english_page
    page.goto(page.base_url + "/accounts/login/")
    assert page.inner_text("h1") == "Sign in"
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("main form.narrow button[type=submit]")
    page.wait_for_url(page.base_url + "/")

    page.select_option("#language-switcher-header", "ru")
    page.click("header .language-switcher button")
    page.wait_for_selector("html[lang=ru]")
    assert "Выйти" in page.inner_text("header")
    alice.refresh_from_db()
    assert alice.language == "ru"

    page.goto(page.base_url + "/reports/new/")
    assert page.inner_text("h1") == "Новое сообщение"
    transport_modes = page.locator("#id_transport_mode option").all_inner_texts()
    assert "Воздушный транспорт" in transport_modes
    assert "Наркотики" in page.locator("#id_items-0-commodity_category option").all_inner_texts()

    page.fill("#id_national_reference", "FR-RU-1")
    page.fill("#id_seizure_date", "1985-05-05")
    page.fill("#id_country_of_seizure", "FR")
    page.click("text=Сохранить черновик")
    page.wait_for_selector("#error-summary")
    summary = page.inner_text("#error-summary")
    assert "Дата изъятия не может быть ранее 1990-01-01." in summary
    assert "Дата изъятия" in summary  # the field's label, in Russian too
    assert page.input_value("#id_national_reference") == "FR-RU-1"  # what was typed is kept
    assert not Report.objects.exists()
