"""The dashboard in French in a real browser (Chromium through Playwright): an officer switches to French in the
header and opens the dashboard: a drawn chart's axis, legend and categories are in French (read from the ECharts
instance), its numbers and the table's are written 1 234,5 (French's narrow no-break space), under the strict
Content-Security-Policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import translation

from apps.accounts.models import User
from apps.dashboards.services import statistics_rebuild
from apps.reports.choices import ReportStatus
from tests.browser import launch, sync_playwright
from tests.builders import build_report, cocaine, vocabulary
from tests.dashboards import page_fixtures
from tests.helpers import sign_in
from tests.reports.views.test_browser_csp import COLLECT_VIOLATIONS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
counted_world = page_fixtures.counted_world
NARROW_NBSP = "\N{NARROW NO-BREAK SPACE}"

# What a panel's chart shows, read from its ECharts instance: axis names, legend and category names, the value
# axis's label for 1234.5, the tooltip's value for it.
CHART = """(key) => {
  const chart = echarts.getInstanceByDom(document.querySelector('#panel-' + key + ' .panel__chart'));
  const option = chart.getOption();
  const axes = [...option.xAxis, ...option.yAxis];
  const valueAxis = axes.find(axis => axis.type === 'value');
  const categoryAxis = axes.find(axis => axis.type === 'category');
  return {
    axisNames: axes.map(axis => axis.name || ''),
    categories: categoryAxis ? categoryAxis.data.map(item => (typeof item === 'object' ? item.value : item)) : [],
    series: option.series.map(one => one.name),
    label: valueAxis.axisLabel.formatter(1234.5),
    tooltip: option.tooltip[0].valueFormatter(1234.5),
  };
}"""


@pytest.fixture
def page(live_server: Any, alice: User, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A Chromium page of a browser asking for English, signed in as alice (an officer of France)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    client = Client()
    sign_in(client, alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(locale="en-GB", viewport={"width": 1024, "height": 900})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.add_init_script(COLLECT_VIOLATIONS)
        page.errors = []  # type: ignore[attr-defined]
        page.on("console", lambda message: _console(page, message))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.base_url = live_server.url  # type: ignore[attr-defined]
        yield page
        browser.close()
    connections.close_all()


def _console(page: Any, message: Any) -> None:
    """Policy violations and script errors the browser reports."""
    if "Content Security Policy" in message.text or (
        message.type == "error" and "favicon.ico" not in (message.location or {}).get("url", "")
    ):
        page.errors.append(message.text)


def _french(text: str) -> str:
    with translation.override("fr"):
        translated = translation.gettext(text)
    assert translated != text, f"{text!r} has no French translation"
    return translated


FRENCH_LABELS = {"tobacco": "Tabac", "drugs": "Drogues", "cocaine": "Cocaïne"}


def _with_french_labels() -> None:
    """The test's terms with their French labels (the shipped terms have theirs; the builder's may not)."""
    terms = vocabulary()
    for code, label in FRENCH_LABELS.items():
        term = terms[code]
        term.translations = {**term.translations, "fr": label}
        term.save()


def test_an_officer_switches_to_french_and_sees_the_charts_axes_legends_and_numbers_in_french(
    page: Any, alice: User, counted_world: dict[str, Any], france: Any
) -> None:
    build_report(
        by=france,
        reference="DASH-FR-COCAINE",
        status=ReportStatus.APPROVED,
        seizure_date=dt.date(2025, 3, 20),
        items=[cocaine("1234.5")],
    )
    _with_french_labels()
    statistics_rebuild()

    page.goto(page.base_url + "/dashboards/")
    page.select_option("#language-switcher-header", "fr")
    page.click("header .language-switcher button")
    page.wait_for_selector("html[lang=fr]")
    alice.refresh_from_db()
    assert alice.language == "fr"
    if not page.url.rstrip("/").endswith("/dashboards"):
        page.goto(page.base_url + "/dashboards/")
    page.wait_for_selector("#dashboard[data-ready='true']", timeout=30_000)

    # The trend: reports per month and category: the value axis is named in French, the legend is the
    # categories' French labels.
    trend = page.evaluate(CHART, "trend")
    assert _french("reports") in trend["axisNames"]
    assert "Tabac" in trend["series"]
    assert "Drogues" in trend["series"]

    # The drug types: the category axis holds the French term, the figures are written as French writes them.
    drugs = page.evaluate(CHART, "drug_types")
    assert drugs["categories"] == ["Cocaïne"]
    assert drugs["series"] == [_french("Quantity (kg)")]
    assert drugs["label"] == f"1{NARROW_NBSP}234,5"
    assert drugs["tooltip"] == f"1{NARROW_NBSP}234,5"

    # The same numbers in the panel's table view, in French, as the page's server wrote them.
    page.click(f"#panel-drug_types button.panel__table-toggle:text('{_french('Table')}')")
    table = page.locator("#panel-drug_types .panel__table")
    assert table.is_visible()
    assert f"1{NARROW_NBSP}234,5" in table.locator("td").all_inner_texts()
    assert _french("Quantity (kg)") in table.locator("thead").inner_text()

    assert page.evaluate("window.__cspViolations || []") == []
    assert page.errors == []
