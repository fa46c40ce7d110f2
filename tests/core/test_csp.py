"""A strict Content-Security-Policy, and templates that need nothing it forbids.

The pages of every persona carry the header (tests/reports/views/test_csp_headers.py,
tests/exchange/views/test_csp_headers.py); a real browser reports no violation
(tests/reports/views/test_browser_csp.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from apps.core.security import ContentSecurityPolicyMiddleware, checked_policy

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *(ROOT / "apps").glob("*/templates")]

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
HTMX_EVAL = re.compile(r"\s(?:hx-on\S*|data-hx-on\S*)\s*=|(?:hx-vals|hx-vars)\s*=\s*['\"]\s*js:", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"=\s*['\"]\s*javascript:", re.IGNORECASE)


def templates() -> list[Path]:
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))


def test_templates_are_found() -> None:
    assert len(templates()) > 30


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("inline <script>", INLINE_SCRIPT),
        ("<style> element", STYLE_ELEMENT),
        ("style= attribute", STYLE_ATTRIBUTE),
        ("on…= event handler attribute", EVENT_ATTRIBUTE),
        ("htmx code evaluated from an attribute", HTMX_EVAL),
        ("javascript: URL", JAVASCRIPT_URL),
    ],
)
def test_no_template_holds_code_or_style_the_policy_forbids(name: str, pattern: re.Pattern[str]) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in templates()
        for text in [path.read_text()]
        for match in pattern.finditer(text)
    ]
    assert found == [], f"{name} in {found}"


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        '<label style="display:inline">',
        '<img src=x onerror="alert(1)">',
        "<style>body{}</style>",
        '<button hx-on:click="alert(1)">',
        '<a href="javascript:alert(1)">',
    ],
)
def test_the_template_check_catches_each_forbidden_form(markup: str) -> None:
    patterns = [INLINE_SCRIPT, STYLE_ELEMENT, STYLE_ATTRIBUTE, EVENT_ATTRIBUTE, HTMX_EVAL, JAVASCRIPT_URL]
    assert any(pattern.search(markup) for pattern in patterns)
    assert not any(pattern.search('<script src="/static/x.js" defer></script>') for pattern in patterns)


def test_every_response_gets_the_configured_policy(settings) -> None:
    policy = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("<p>hi</p>"))(RequestFactory().get("/"))
    header = policy["Content-Security-Policy"]
    assert header == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    assert "unsafe" not in header


def test_a_view_may_set_a_narrower_policy_of_its_own() -> None:
    def view(request):
        response = HttpResponse("")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = ContentSecurityPolicyMiddleware(view)(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'"


@pytest.mark.parametrize(
    "policy",
    [
        "default-src 'self'; script-src 'self' 'unsafe-inline'",
        "default-src 'self'; script-src 'self' 'unsafe-eval'",
        "default-src *",
        "script-src 'self'",
    ],
)
def test_a_policy_that_would_let_inline_or_evaluated_script_run_is_refused_at_start_up(policy: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        checked_policy(policy)
    with override_settings(RILO_CONTENT_SECURITY_POLICY=policy), pytest.raises(ImproperlyConfigured):
        ContentSecurityPolicyMiddleware(lambda request: HttpResponse(""))


def test_no_template_turns_escaping_off() -> None:
    unescaped = re.compile(r"\|\s*safe\b|{%\s*autoescape\s+off", re.IGNORECASE)
    found = [str(path.relative_to(ROOT)) for path in templates() if unescaped.search(path.read_text())]
    assert found == []
