"""The browser tests skip where Chromium is missing, except in the test command, which installs Chromium first and
requires them to run (tests/browser.py)."""

from __future__ import annotations

import pytest
from _pytest.outcomes import Failed, Skipped

from tests import browser


def test_a_missing_browser_skips_the_test_outside_the_test_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", None)
    monkeypatch.delenv(browser.REQUIRE_BROWSER, raising=False)
    with pytest.raises(Skipped, match="Chromium is not installed"):
        browser.sync_playwright()


def test_a_missing_browser_fails_the_test_in_the_test_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", None)
    monkeypatch.setenv(browser.REQUIRE_BROWSER, "1")
    with pytest.raises(Failed, match=r"Chromium is not installed.*RILO_REQUIRE_BROWSER is set"):
        browser.sync_playwright()


def test_the_test_command_requires_the_browser_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m tests`` hands its pytest run the requirement (its environment is built in ``main``)."""
    from tests import __main__ as command

    seen: dict[str, str] = {}

    def record(step: str, argv: list[str], env: dict[str, str]) -> int:
        if step == "pytest":
            seen.update(env)
        return 0

    monkeypatch.setattr(command, "run", record)
    # Servers named by the environment are taken as they are (nothing is started or reached).
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/unused")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    assert command.main(["--collect-only"]) == 0
    assert seen[browser.REQUIRE_BROWSER] == "1"
