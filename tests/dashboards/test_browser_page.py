"""The dashboard in a real browser (Chromium through Playwright), 360 px wide, under the strict
Content-Security-Policy: it draws its charts (the world map too), switches a chart to its table with the keyboard,
exports a chart as PNG, drills from a bar into the report list (saying how many reports the reader cannot open),
fits the screen, and the browser reports no policy violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from apps.accounts.models import User
from tests.browser import launch, sync_playwright
from tests.dashboards import page_fixtures
from tests.helpers import sign_in
from tests.reports.views.test_browser_csp import COLLECT_VIOLATIONS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
counted_world = page_fixtures.counted_world

# What sticks out on the right (for the failure message); a scrolling table may be wider inside its wrapper (the
# wrapper itself must fit).
TOO_WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > 361)
  .filter(el => !(el.parentElement && el.parentElement.closest('.table-wrap')))
  .map(el => el.tagName + '#' + el.id + '.' + el.className).slice(0, 8)"""

# Every visible form control must have a name a screen reader can announce (the filters are opened first).
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .filter(el => !(el.tagName === 'BUTTON' && el.innerText.trim()))
  .map(el => el.outerHTML.slice(0, 120))"""

# How many pixels of a panel's canvas are painted (a chart drawn, not an empty box).
PAINTED = """(section) => {
  const canvas = section.querySelector('canvas');
  if (!canvas) return 0;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  return painted;
}"""

# Where the first bar of a panel's chart is on the page (ECharts converts the bar's middle to pixels).
FIRST_BAR = """(section) => {
  const chart = echarts.getInstanceByDom(section.querySelector('.panel__chart'));
  const value = chart.getOption().series[0].data[0];
  const [x, y] = chart.convertToPixel({seriesIndex: 0}, [value / 2, 0]);
  const box = section.querySelector('.panel__chart').getBoundingClientRect();
  return [box.left + x, box.top + y];
}"""


@pytest.fixture
def page(live_server: Any, alice: User, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A 360 px wide Chromium page signed in as alice (an officer: the region's figures, her own reports)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    client = Client()
    sign_in(client, alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.add_init_script(COLLECT_VIOLATIONS)
        page.console_violations = []  # type: ignore[attr-defined]
        page.script_errors = []  # type: ignore[attr-defined]
        page.on("console", lambda message: _console(page, message))
        page.on("pageerror", lambda error: page.script_errors.append(str(error)))  # type: ignore[attr-defined]
        yield page
        browser.close()
    connections.close_all()


def _console(page: Any, message: Any) -> None:
    """Policy violations and script errors the browser reports (a chart that failed is logged, not silent)."""
    if "Content Security Policy" in message.text:
        page.console_violations.append(message.text)
    elif message.type == "error" and "favicon.ico" not in (message.location or {}).get("url", ""):
        page.script_errors.append(message.text)


def _violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__cspViolations || []")) + list(page.console_violations)


def test_the_dashboard_draws_switches_exports_and_drills_within_360_px_and_the_policy(
    page: Any, live_server: Any, counted_world: dict[str, Any], tmp_path: Path
) -> None:
    response = page.goto(live_server.url + "/dashboards/")
    assert response.status == 200
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    page.wait_for_selector("#dashboard[data-ready='true']", timeout=30_000)

    # Every panel with data and a chart kind is drawn: a painted canvas, the table hidden behind the toggle.
    drawn = page.query_selector_all(".panel[data-json]")
    assert len(drawn) >= 5
    for section in drawn:
        key = section.get_attribute("id")
        assert section.get_attribute("data-drawn") == "true", key
        assert page.evaluate(PAINTED, section) > 500, key
        assert section.query_selector(".panel__table").is_hidden(), key
    world_map = page.query_selector("#panel-map")
    assert world_map.get_attribute("data-drawn") == "true"

    # 360 px: nothing sticks out (a wide table scrolls inside its wrapper), the filters opened too; every control
    # has a name.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.evaluate(TOO_WIDE)
    page.click("details.dashboard__filters > summary")
    assert page.is_visible("#id_date_from")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.evaluate(TOO_WIDE)
    assert page.evaluate(UNLABELLED) == []

    # The Table toggle, with the keyboard alone: the same numbers as a table, then the chart again.
    panel = page.query_selector("#panel-transport_mode")
    toggle = panel.query_selector(".panel__table-toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-pressed") == "true"
    assert panel.query_selector(".panel__table").is_visible()
    assert panel.query_selector(".panel__chart").is_hidden()
    assert panel.query_selector("caption").inner_text().startswith("Mode of transport")
    page.keyboard.press("Enter")
    assert panel.query_selector(".panel__chart").is_visible()

    # PNG: the chart as an image file.
    with page.expect_download() as download:
        panel.query_selector(".panel__png").click()
    saved = tmp_path / "chart.png"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "transport_mode.png"
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and saved.stat().st_size > 1000

    assert _violations(page) == []
    assert page.script_errors == []

    # A click on the first bar (road: 3 French and 2 German reports) opens the report list filtered the same way,
    # saying that 2 of the 5 counted reports are not hers to open.
    panel.scroll_into_view_if_needed()
    x, y = page.evaluate(FIRST_BAR, panel)
    with page.expect_navigation():
        page.mouse.click(x, y)
    assert "/reports/?" in page.url and "transport_mode=3" in page.url and "status=approved" in page.url
    message = page.inner_text(".messages")
    assert "count 5 reports" in message and "open 3 of them" in message and "2 more exist" in message
    listed = page.inner_text("table.reports")
    assert all(f"DASH-FR-{n}" in listed for n in range(3))
    assert "DASH-DE-" not in listed and "DASH-KZ-" not in listed
    assert _violations(page) == []
