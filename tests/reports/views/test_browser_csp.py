"""In a real browser (Chromium through Playwright) the main pages run under the strict
Content-Security-Policy without a single violation, and htmx still works."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.reports.choices import ReportStatus
from tests.browser import launch, sync_playwright
from tests.builders import build_report, entry_form_report, webhook_partner
from tests.exchange.conftest import URL
from tests.factories import PASSWORD
from tests.helpers import sign_in

pytestmark = [
    pytest.mark.slow,
]

# Runs before any script of each page (Playwright injects it outside the page's policy): every violation
# the browser reports to the page is kept for the test to read.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


class Browser:
    """One Chromium context: pages visited, and every CSP violation reported on them."""

    def __init__(self, context: Any, base_url: str) -> None:
        self.base_url = base_url
        self.page = context.new_page()
        self.page.add_init_script(COLLECT_VIOLATIONS)
        self.violations: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.violations.append(f"console: {message.text}")

    def visit(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        assert response is not None
        header = response.headers.get("content-security-policy", "")
        assert header.startswith("default-src 'self'"), (path, header)
        assert "unsafe-inline" not in header and "unsafe-eval" not in header
        return response

    def settle(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        self.violations += [f"{where}: {v}" for v in self.page.evaluate("window.__cspViolations || []")]


@pytest.fixture
def chromium(transactional_db: None, live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()
    # The ORM used by the test body inside Playwright's event loop has its own connection: close it.
    connections.close_all()


def _signed_in_context(chromium: Any, live_server: Any, user: User) -> Any:
    client = Client()
    sign_in(client, user)
    context = chromium.new_context()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context


def test_an_officer_signs_in_and_uses_the_main_pages_without_a_csp_violation(chromium, live_server, alice, vocab):
    report = build_report(
        by=alice, reference="FR-2025-0001", status=ReportStatus.DRAFT, through_services=True, **entry_form_report()
    )
    browser = Browser(chromium.new_context(), live_server.url)
    page = browser.page

    browser.visit(reverse("accounts:login"))
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("main form.narrow button[type=submit]")  # the sign-in form's (the language switchers have one too)
    page.wait_for_url(live_server.url + reverse("core:home"))
    browser.settle("sign-in")

    for path in ("/", "/reports/", reverse("accounts:token_list"), reverse("accounts:profile")):
        browser.visit(path)
        browser.settle(path)

    # The entry form: htmx adds a row (a fragment loaded and swapped in without reloading).
    browser.visit("/reports/new/")
    page.evaluate("window.notReloaded = true")
    page.click("text=Add an item")
    page.wait_for_selector("[name='items-1-quantity']")
    assert page.evaluate("window.notReloaded") is True
    browser.settle("/reports/new/")

    # A report page: its history is an htmx fragment loaded on page load.
    browser.visit(f"/reports/{report.uuid}/")
    page.wait_for_selector("#history ol.history")
    browser.settle("report page")

    assert browser.violations == []


def test_rilo_staff_use_the_queue_partner_pages_and_api_docs_without_a_csp_violation(
    chromium, live_server, alice, erin: User, france, vocab
):
    build_report(by=france, reference="FR-CSP-QUEUE")
    partner = webhook_partner("WCO CEN", URL, region=erin.region)[0]
    browser = Browser(_signed_in_context(chromium, live_server, erin), live_server.url)
    page = browser.page

    browser.visit("/reports/review/")
    assert page.is_visible("text=FR-CSP-QUEUE")
    browser.settle("review queue")
    for path in (
        reverse("exchange:partner_list"),
        reverse("exchange:partner_detail", args=[partner.pk]),
        reverse("exchange:policy_list", args=[partner.pk]),
        reverse("exchange:delivery_list", args=[partner.pk]),
        reverse("exchange:timeline_search"),
    ):
        browser.visit(path)
        browser.settle(path)

    # Swagger UI from drf-spectacular-sidecar, its start-up script served as a file.
    browser.visit("/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    browser.settle("API docs")

    assert browser.violations == []


def test_the_django_admin_runs_under_the_policy_without_a_csp_violation(chromium, live_server, grace: User):
    browser = Browser(_signed_in_context(chromium, live_server, grace), live_server.url)
    page = browser.page
    response = browser.visit("/admin/")
    assert response.status == 200
    browser.settle("admin index")
    changelists = page.eval_on_selector_all(
        "#content-main a[href$='/']", "links => links.map(a => a.getAttribute('href'))"
    )
    changelists = [href for href in changelists if href.startswith("/admin/") and href.count("/") == 4]
    assert changelists
    for path in changelists[:3]:
        browser.visit(path)
        browser.settle(path)
        add = page.query_selector("a.addlink")
        if add is not None:
            browser.visit(str(add.get_attribute("href")))
            browser.settle(f"{path} add")
    assert browser.violations == []
