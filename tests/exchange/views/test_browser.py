"""The exchange pages in a real browser (Chromium via Playwright): 360 px wide, usable with a keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.exchange.models import PartnerSystem
from apps.exchange.services import event_fan_out
from apps.tenancy.models import Administration, Region
from tests.browser import launch, sync_playwright
from tests.builders import approve, build_report, vocabulary, webhook_partner
from tests.exchange.conftest import URL
from tests.helpers import sign_in

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

# Every visible form control must have a name a screen reader can announce.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .filter(el => !(el.tagName === 'BUTTON' && el.innerText.trim()))
  .map(el => el.outerHTML.slice(0, 120))"""

# What sticks out on the right (for the failure message); a scrolling table may be wider inside its wrapper.
TOO_WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > 361 && !el.closest('.table-wrap'))
  .map(el => el.tagName + '.' + el.className).slice(0, 8)"""


@pytest.fixture
def browser_page(
    live_server: Any, grace: User, partner: PartnerSystem, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A 360 px wide Chromium page signed in as grace (a verified second factor, as after the code)."""
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    client = Client()
    sign_in(client, grace)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 360, "height": 740})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.base_url = live_server.url  # type: ignore[attr-defined]
        yield page
        browser.close()


def stored(**values: str) -> bool:
    """Whether such a partner exists (with Playwright's loop running the ORM opens a connection of its own)."""
    try:
        return PartnerSystem.objects.filter(**values).exists()
    finally:
        connection.close()


@pytest.fixture
def partner(region_we: Region, france: Administration) -> PartnerSystem:
    vocabulary()
    partner, _, _ = webhook_partner("WCO CEN", URL)
    partner.region = region_we
    partner.save(update_fields=["region"])
    event = approve(build_report(by=france, reference="FR-2025-000123456789"))
    event_fan_out(event_id=event.pk)
    partner.report_uuid = event.report_uuid  # type: ignore[attr-defined]
    return partner


def test_the_exchange_pages_fit_360_pixels_and_label_every_control(browser_page: Any, partner: PartnerSystem) -> None:
    urls = [
        reverse("exchange:partner_list"),
        reverse("exchange:partner_create"),
        reverse("exchange:partner_detail", args=[partner.pk]),
        reverse("exchange:partner_edit", args=[partner.pk]),
        reverse("exchange:policy_list", args=[partner.pk]),
        reverse("exchange:policy_edit", args=[partner.pk]),
        reverse("exchange:delivery_list", args=[partner.pk]) + "?state=all",
        reverse("exchange:timeline", args=[partner.report_uuid]),  # type: ignore[attr-defined]
    ]
    for url in urls:
        browser_page.goto(browser_page.base_url + url)
        assert browser_page.title().endswith("· RILO"), url
        width = browser_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (url, width, browser_page.evaluate(TOO_WIDE))
        assert browser_page.evaluate(UNLABELLED) == [], url


def test_an_administrator_registers_a_partner_with_the_keyboard_alone(
    browser_page: Any, partner: PartnerSystem
) -> None:
    page = browser_page
    page.goto(page.base_url + reverse("exchange:partner_create"))
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.focus("#id_name")
    page.keyboard.type("OLAF CIS+")
    page.keyboard.press("Tab")  # adapter
    assert page.evaluate("document.activeElement.id") == "id_adapter"
    page.keyboard.press("Tab")
    page.keyboard.type("http://127.0.0.1:9/olaf")
    page.keyboard.press("Tab")  # the first authentication choice, "None", is checked
    page.keyboard.press("Space")
    assert page.is_checked("#id_auth_0")
    page.focus("#id_max_in_flight")
    page.keyboard.press("Enter")  # submit from a field, as keyboard users do
    page.wait_for_selector("#signing-secret")
    assert page.input_value("#signing-secret").startswith("whsec_")
    assert stored(name="OLAF CIS+", endpoint_url="http://127.0.0.1:9/olaf")


def test_an_error_moves_nothing_typed_and_is_reachable_from_the_summary(
    browser_page: Any, partner: PartnerSystem
) -> None:
    page = browser_page
    page.goto(page.base_url + reverse("exchange:partner_create"))
    page.fill("#id_name", "WCO CEN")  # taken
    page.fill("#id_endpoint_url", "http://127.0.0.1:9/other")
    page.press("#id_endpoint_url", "Enter")
    page.wait_for_selector(".error-summary")
    assert page.input_value("#id_endpoint_url") == "http://127.0.0.1:9/other"
    page.click(".error-summary a")
    assert page.evaluate("document.activeElement.id") == "id_name"
