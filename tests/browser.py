"""Chromium for the browser tests, driven through Playwright's sync API.

Where Chromium (or Playwright) is missing, a browser test is skipped: a developer's quick ``pytest`` run need
not install a browser. The test command (``make test``, ``python -m tests``) installs Chromium first and sets
``RILO_REQUIRE_BROWSER=1``: there a missing browser fails the test, so a suite that never opened a browser
cannot pass for a suite that did.
"""

from __future__ import annotations

import os
import shutil
from typing import Any, NoReturn

import pytest

REQUIRE_BROWSER = "RILO_REQUIRE_BROWSER"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def browser_required() -> bool:
    return os.environ.get(REQUIRE_BROWSER, "") not in ("", "0")


def _missing(reason: str) -> NoReturn:
    if browser_required():
        pytest.fail(f"{reason}; {REQUIRE_BROWSER} is set, so the browser tests must run", pytrace=False)
    pytest.skip(reason)


def sync_playwright() -> Any:
    """Playwright's ``sync_playwright()`` (use it in ``with``), once Chromium and Playwright are known to be
    there; otherwise the test is skipped, or fails under ``RILO_REQUIRE_BROWSER``."""
    if CHROMIUM is None:
        _missing("Chromium is not installed (make test installs it where it may)")
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        _missing("Playwright is not installed (pip install -e '.[dev]')")
    return start()


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless (no browser download: Playwright drives the system's browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
