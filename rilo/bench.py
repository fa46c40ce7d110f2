"""Benchmarks: ``make bench [BENCH=name]`` or ``python -m rilo.bench [NAME ...]``.

Each registered benchmark prints ONE JSON line, ``{"bench": name, ...figures}``; without a name
every benchmark runs. Figures are measured, never typed: latency percentiles and throughput from
a load loop against a real gunicorn (2 workers, DEBUG off, ``rilo.settings.bench``) on the
database at ``DATABASE_URL`` (else the local server or an embedded one, see rilo.runtime), and SQL
statements per request from the ``X-DB-Queries`` header that only the bench settings add.

Add a benchmark::

    @benchmark("reports_list")
    def reports_list() -> dict[str, object]:
        user, token = bench_account()
        with gunicorn() as base_url:
            result = load(f"{base_url}/api/v1/reports/", headers=bearer(token))
        return result.figures()
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rilo.runtime import BASE_DIR, Services, resolve_services

SETTINGS = "rilo.settings.bench"
BENCH_USERNAME = "bench-officer"

Figures = dict[str, Any]
BENCHMARKS: dict[str, Callable[[], Figures]] = {}
_services: Services | None = None  # keeps embedded servers alive while benchmarks run


def benchmark(name: str) -> Callable[[Callable[[], Figures]], Callable[[], Figures]]:
    """Register a benchmark function returning its figures (``bench`` is added)."""

    def register(function: Callable[[], Figures]) -> Callable[[], Figures]:
        BENCHMARKS[name] = function
        return function

    return register


# --- environment -------------------------------------------------------------------------------


def _ensure_database(url: str) -> None:
    """Create the database named in a ``postgres://`` URL when the server has not got it yet."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def prepare() -> None:
    """Pick the servers, point Django at the bench settings, migrate."""
    global _services
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        _services = resolve_services(purpose="bench", prefer_local=True)
        os.environ.update(_services.environ())
        print(f"Using {_services.describe()}", file=sys.stderr)
    if os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        _ensure_database(os.environ["DATABASE_URL"])
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def bench_account() -> tuple[Any, str]:
    """An officer of a bench administration and a fresh read/write token for it (revoke it when done)."""
    from datetime import timedelta

    from django.utils import timezone
    from django_countries import countries

    from apps.accounts.models import User
    from apps.accounts.roles import Role
    from apps.accounts.services import token_issue, user_create
    from apps.tenancy.models import Administration, Region

    region, _ = Region.objects.get_or_create(code="bench", defaults={"name": "Benchmark RILO"})
    administration = Administration.objects.filter(code="bench").first()
    if administration is None:
        taken = set(Administration.objects.values_list("country", flat=True))
        country = next(code for code, _ in countries if code not in taken)
        administration = Administration.objects.create(
            region=region, country=country, name="Benchmark Customs", code="bench"
        )
    user = User.objects.filter(username=BENCH_USERNAME).first() or user_create(
        username=BENCH_USERNAME, role=Role.OFFICER, administration=administration
    )
    _, plaintext = token_issue(
        user=user,
        name="benchmark",
        scopes=["read", "write"],
        expires_at=timezone.now() + timedelta(hours=1),
        actor=None,
    )
    return user, plaintext


def revoke_bench_tokens() -> None:
    from apps.accounts.models import ApiToken
    from apps.accounts.services import token_revoke

    for token in ApiToken.objects.filter(user__username=BENCH_USERNAME, revoked_at__isnull=True):
        token_revoke(token=token, actor=None)


def bearer(plaintext: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plaintext}"}


# --- server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_answers(url: str, *, timeout: float = 60.0, process: subprocess.Popen[bytes] | None = None) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"The server exited with status {process.returncode} before answering.")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s.")


@contextmanager
def gunicorn(*, workers: int = 2, threads: int = 1) -> Iterator[str]:
    """gunicorn on a free loopback port with the bench settings; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS}
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "rilo.wsgi:application",
        f"--workers={workers}",
        f"--threads={threads}",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
    ]
    process = subprocess.Popen(argv, cwd=BASE_DIR, env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{base_url}/healthz", process=process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- load --------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    """What a load loop measured."""

    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    db_queries: list[int] = field(default_factory=list)
    failures: int = 0  # connection errors and timeouts

    def figures(self) -> Figures:
        latencies = sorted(self.latencies_ms)
        count = len(latencies)

        def percentile(p: float) -> float | None:
            return round(latencies[min(count - 1, int(p * count))], 2) if count else None

        errors = self.failures + sum(n for status, n in self.statuses.items() if status >= 400)
        return {
            "requests": count,
            "seconds": round(self.seconds, 2),
            "rps": round(count / self.seconds, 1) if self.seconds else None,
            "p50_ms": percentile(0.50),
            "p95_ms": percentile(0.95),
            "p99_ms": percentile(0.99),
            "max_ms": round(latencies[-1], 2) if count else None,
            "errors": errors,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "db_queries_per_request": statistics.median(self.db_queries) if self.db_queries else None,
            "db_queries_max": max(self.db_queries) if self.db_queries else None,
        }


def load(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    concurrency: int = 8,
    max_requests: int = 2000,
    max_seconds: float = 15.0,
    warmup: int = 20,
) -> LoadResult:
    """Send requests from ``concurrency`` threads (one ``requests.Session`` each) until ``max_requests``
    are done or ``max_seconds`` have passed; ``warmup`` requests first, not counted."""
    import requests

    with requests.Session() as session:
        for _ in range(warmup):
            session.request(method, url, headers=headers, json=json_body, timeout=30)

    result = LoadResult()
    lock = threading.Lock()
    issued = 0
    started = time.perf_counter()
    deadline = started + max_seconds

    def worker() -> None:
        nonlocal issued
        with requests.Session() as session:
            while True:
                with lock:
                    if issued >= max_requests or time.perf_counter() >= deadline:
                        return
                    issued += 1
                began = time.perf_counter()
                try:
                    response = session.request(method, url, headers=headers, json=json_body, timeout=30)
                except requests.RequestException:
                    with lock:
                        result.failures += 1
                    continue
                elapsed_ms = (time.perf_counter() - began) * 1000
                with lock:
                    result.latencies_ms.append(elapsed_ms)
                    result.statuses[response.status_code] += 1
                    if "X-DB-Queries" in response.headers:
                        result.db_queries.append(int(response.headers["X-DB-Queries"]))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


# --- benchmarks --------------------------------------------------------------------------------


@benchmark("api_me")
def api_me() -> Figures:
    """GET /api/v1/me/ with a bearer token: authentication, scope check, throttle (Redis), serialisation."""
    workers, concurrency = 2, 8
    _, plaintext = bench_account()
    try:
        with gunicorn(workers=workers) as base_url:
            result = load(f"{base_url}/api/v1/me/", headers=bearer(plaintext), concurrency=concurrency)
    finally:
        revoke_bench_tokens()
    return {"path": "/api/v1/me/", "workers": workers, "concurrency": concurrency, **result.figures()}


@benchmark("exchange")
def exchange() -> Figures:
    """10,000 approvals fanned out to two webhook receivers and a TAXII server, 2 worker processes."""
    from bench.exchange import measure

    return {key: value for key, value in measure().items() if key != "bench"}


BENCH_REPORTS = 100_000


def ensure_reports(count: int) -> int:
    """At least ``count`` reports in the database: the domain's demo seeder adds what is missing (it spreads them
    over every administration, the bench one included); data seeded earlier is reused. Returns the count."""
    from django.db import connection

    from apps.reports.demo import seed_reports
    from apps.reports.models import Report

    existing = Report.objects.count()
    if existing < count:
        print(f"Seeding {count - existing} reports (once; later runs reuse them)...", file=sys.stderr, flush=True)
        seed_reports(count=count - existing, workers=2)
    # Fresh planner statistics: measured plans must be the ones a settled database would use.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Report.objects.count()


@benchmark("api")
def api_list() -> Figures:
    """GET /api/v1/reports/?page_size=100 as an officer, 100,000 reports in the database: one cursor page with
    items, route, conveyances and parties' profiles; restrict(), filters, serialisation, JSON."""
    workers, concurrency, page_size = 2, 8, 100
    _, plaintext = bench_account()
    reports = ensure_reports(BENCH_REPORTS)
    path = f"/api/v1/reports/?page_size={page_size}"
    try:
        with gunicorn(workers=workers) as base_url:
            result = load(f"{base_url}{path}", headers=bearer(plaintext), concurrency=concurrency)
    finally:
        revoke_bench_tokens()
    figures = result.figures()
    return {
        "bench": "api_list",
        "p50_ms": figures["p50_ms"],
        "p95_ms": figures["p95_ms"],
        "rps": figures["rps"],
        "queries_per_request": figures["db_queries_per_request"],
        "path": path,
        "reports_in_database": reports,
        "workers": workers,
        "concurrency": concurrency,
        **figures,
    }


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Known: {', '.join(sorted(BENCHMARKS))}.", file=sys.stderr)
        return 2
    prepare()
    for name in names or list(BENCHMARKS):
        figures = BENCHMARKS[name]()
        print(json.dumps({"bench": name, **figures}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
