"""The web list pages at 100,000 reports: ``make bench BENCH=web_lists``.

On the API benchmark's data (:func:`bench.api.ensure_reports`: 100,000 reports of the bench
administration), an officer, a national coordinator and a RILO analyst of the bench administration and
RILO sign in through the real login page (the staff with a two-factor code computed from their own
device, as an authenticator app would), then gunicorn (2 workers) is loaded by 4 client threads with
a mix of, for each persona: the report list, a deep page (the list's "Next" link followed
``DEEP_PAGE - 1`` times), a full-text search, a filtered view, and for the analyst the review queue.
It prints the latency percentiles over the whole mix, the most SQL statements a page ran
(``X-DB-Queries``), and the p95 of each page apart (``pages``). Then, on the same server, the analyst
downloads a CSV export of ``RILO_EXPORT_ROW_LIMIT`` rows through the page, timed against PostgreSQL's
``COPY`` of the export's own SELECT (:func:`bench.exports.export_figures`): ``export_rows_per_s``,
``copy_rows_per_s`` (the limit) and ``export_share_of_copy``.
"""

from __future__ import annotations

import re
import secrets
import sys
from html import unescape
from typing import Any
from urllib.parse import urljoin

from bench.exports import export_figures
from bench.harness import Figures, bench_administration, benchmark, gunicorn, load, percentile_ms

WORKERS, CONCURRENCY = 2, 4
DEEP_PAGE = 21  # the page reached by following "Next" 20 times
SEARCH = "cigarettes"  # a common word of the seeded items' descriptions (about 15,000 reports)
FILTERS = "status=submitted&commodity_category=TOBACCO&date_from=2025-01-01"
PERSONAS = {"officer": "officer", "coordinator": "national_coordinator", "analyst": "rilo_analyst"}
_NEXT_LINK = re.compile(r'<a [^>]*href="([^"]+)"[^>]*rel="next"|<a [^>]*rel="next"[^>]*href="([^"]+)"')


def _web_accounts() -> dict[str, tuple[str, str, str]]:
    """Per persona: (username, a password set for this run, the hex key of a two-factor device or "")."""
    from apps.accounts.models import User
    from apps.accounts.services import otp_device_ensure, user_create

    administration = bench_administration()
    accounts = {}
    for persona, role in PERSONAS.items():
        username = f"bench-web-{persona}"
        scope: dict[str, Any] = (
            {"region": administration.region} if role == "rilo_analyst" else {"administration": administration}
        )
        user = User.objects.filter(username=username).first() or user_create(username=username, role=role, **scope)
        password = secrets.token_urlsafe(24)
        user.set_password(password)
        user.save(update_fields=["password"])
        key = ""
        if user.requires_two_factor:
            key = secrets.token_hex(20)  # a new key also resets the device's replay guard
            otp_device_ensure(user=user, key_hex=key)
        accounts[persona] = (username, password, key)
    return accounts


def _sign_in(base_url: str, username: str, password: str, key_hex: str) -> dict[str, str]:
    """Sign in through the login page (and the two-factor page); the session's Cookie header."""
    import requests
    from django_otp.oath import totp

    with requests.Session() as session:
        login = f"{base_url}/accounts/login/"
        session.get(login, timeout=30).raise_for_status()
        answer = session.post(
            login,
            data={
                "username": username,
                "password": password,
                "next": "/reports/",
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": login},
            timeout=30,
        )
        answer.raise_for_status()
        if "/2fa/verify/" in answer.url:
            code = totp(bytes.fromhex(key_hex))
            answer = session.post(
                answer.url,
                data={"token": f"{code:06d}", "next": "/reports/", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                headers={"Referer": answer.url},
                timeout=30,
            )
            answer.raise_for_status()
        if not answer.url.endswith("/reports/"):
            raise RuntimeError(f"{username} did not reach the report list after signing in (at {answer.url}).")
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in session.cookies.items())}


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    """The cookies of a session's ``Cookie`` header."""
    return dict(pair.split("=", 1) for pair in headers["Cookie"].split("; ") if pair)


def _deep_page(base_url: str, path: str, headers: dict[str, str]) -> str:
    """The URL of page ``DEEP_PAGE`` of the list at ``path``, reached by its "Next" links."""
    import requests

    url = f"{base_url}{path}"
    with requests.Session() as session:
        for _ in range(DEEP_PAGE - 1):
            answer = session.get(url, headers=headers, timeout=60)
            answer.raise_for_status()
            found = _NEXT_LINK.search(answer.text)
            if found is None:
                raise RuntimeError(f"{url} has no next page.")
            url = urljoin(url, unescape(found.group(1) or found.group(2)))
    return url


@benchmark("web_lists")
def web_lists() -> Figures:
    """The report list, a deep page, a search, a filtered view (and the review queue for the analyst), for an
    officer, a coordinator and an analyst, 100,000 reports in the database."""
    from apps.accounts.models import User
    from bench.api import BENCH_REPORTS, ensure_reports

    reports = ensure_reports(BENCH_REPORTS)
    accounts = _web_accounts()
    with gunicorn(workers=WORKERS) as base_url:
        mix: list[tuple[str, dict[str, str]]] = []
        sessions: dict[str, dict[str, str]] = {}
        labels: dict[str, str] = {}
        for persona, (username, password, key) in accounts.items():
            headers = _sign_in(base_url, username, password, key)
            sessions[persona] = headers
            pages = {
                "list": f"{base_url}/reports/",
                "deep": _deep_page(base_url, "/reports/", headers),
                "search": f"{base_url}/reports/?q={SEARCH}",
                "filtered": f"{base_url}/reports/?{FILTERS}",
            }
            if persona == "analyst":
                pages["queue"] = f"{base_url}/reports/review/"
            for page, url in pages.items():
                # One URL per persona and page: a session id in the fragment keeps them apart in by_url.
                keyed = f"{url}#{persona}"
                labels[keyed] = f"{persona}_{page}"
                mix.append((keyed, headers))
        print(f"web_lists: {len(mix)} pages, {CONCURRENCY} threads...", file=sys.stderr, flush=True)
        result = load(mix, concurrency=CONCURRENCY, max_requests=1200, max_seconds=30, warmup=len(mix))
        print("web_lists: the analyst's export against COPY...", file=sys.stderr, flush=True)
        analyst = User.objects.get(username=accounts["analyst"][0])
        export = export_figures(base_url, _cookies(sessions["analyst"]), analyst)
    figures = result.figures()
    return {
        "p50_ms": figures["p50_ms"],
        "p95_ms": figures["p95_ms"],
        "queries_max": figures["db_queries_max"],
        "export_rows_per_s": export["export_rows_per_s"],
        "copy_rows_per_s": export["copy_rows_per_s"],
        "export_share_of_copy": export["export_share_of_copy"],
        "export": export,
        "pages": {labels[url]: percentile_ms(latencies, 0.95) for url, latencies in result.by_url.items()},
        "requests": figures["requests"],
        "errors": figures["errors"],
        "statuses": figures["statuses"],
        "reports_in_database": reports,
        "workers": WORKERS,
        "concurrency": CONCURRENCY,
    }
