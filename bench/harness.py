"""The benchmark harness: ``make bench [BENCH=name]`` or ``python -m bench [NAME ...]``.

Each registered benchmark prints ONE JSON line, ``{"bench": name, ...figures}``; without a name
every benchmark runs. Figures are measured, never typed: latency percentiles and throughput from
a load loop against a real gunicorn (2 workers, DEBUG off, ``rilo.settings.bench``) on the
database at ``DATABASE_URL`` (else the local server or an embedded one, see apps.core.runtime), and SQL
statements per request from the ``X-DB-Queries`` header that only the bench settings add.

Add a benchmark (in a module named in ``BENCHMARK_MODULES``)::

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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apps.core.runtime import BASE_DIR, Services, resolve_services

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Administration

SETTINGS = "rilo.settings.bench"
BENCH_USERNAME = "bench-officer"

Figures = dict[str, Any]
# A benchmark returns its figures, or a list of them for one line each (the upload's, one per file format).
BENCHMARKS: dict[str, Callable[[], Figures | list[Figures]]] = {}
# The modules whose ``@benchmark`` functions register themselves when imported (see registered()).
BENCHMARK_MODULES = (
    "bench.api",
    "bench.dashboard",
    "bench.exchange",
    "bench.web_lists",
    "bench.upload_reading",
    "bench.upload",
)
_services: Services | None = None  # keeps embedded servers alive while benchmarks run


Measure = Callable[[], Figures | list[Figures]]


def own_peak_rss_mb() -> float:
    """This process's peak resident memory in MB, its own: ``VmHWM`` of /proc/self/status where there is one.

    ``ru_maxrss`` is no measure for a child: Linux keeps it across ``exec``, so a process spawned by a larger one
    (this harness, once it has generated a 100,000-row workbook) reports its parent's peak if that was higher."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tree_pss_mb(pid: int) -> float:
    """The proportional set size of process ``pid`` and its children together, in MB (0 where /proc cannot
    tell): their resident memory with each page they share counted once, divided among them — what a process
    and the helpers it forks hold of the machine's memory at this moment."""
    pids = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
                pids += [int(child) for child in children.read().split()]
    except OSError:
        pass  # ended, or a kernel that does not list children: the process alone
    total = 0
    for each in pids:
        try:
            with open(f"/proc/{each}/smaps_rollup", encoding="ascii") as rollup:
                total += next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
        except OSError:
            continue  # ended meanwhile
    return total / 1024


def settle_database() -> None:
    """``VACUUM (ANALYZE)`` of the bench's database, before a measurement: planner statistics current, the
    visibility map index-only scans read set, no dead rows left. A server may run without autovacuum, and a
    table never analysed is planned as a few pages of rows. Autovacuum would not always
    be as current: it analyses a table once a tenth of its rows changed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def benchmark(name: str) -> Callable[[Measure], Measure]:
    """Register a benchmark function returning its figures, or a list of them (``bench`` is added to each)."""

    def register(function: Measure) -> Measure:
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


def bench_administration() -> Administration:
    """The bench administration (in the bench RILO), made on first use."""
    from django_countries import countries

    from apps.tenancy.models import Administration, Region

    region, _ = Region.objects.get_or_create(code="bench", defaults={"name": "Benchmark RILO"})
    administration = Administration.objects.filter(code="bench").first()
    if administration is None:
        taken = set(Administration.objects.values_list("country", flat=True))
        country = next(code for code, _ in countries if code not in taken)
        administration = Administration.objects.create(
            region=region, country=country, name="Benchmark Customs", code="bench"
        )
    return administration


def bench_account() -> tuple[User, str]:
    """An officer of a bench administration and a fresh read/write token for it (revoke it when done)."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.accounts.models import User
    from apps.accounts.roles import Role
    from apps.accounts.services import token_issue, user_create

    administration = bench_administration()
    user = User.objects.filter(username=BENCH_USERNAME).first() or user_create(
        actor=None, username=BENCH_USERNAME, role=Role.OFFICER, administration=administration
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
def gunicorn(*, workers: int = 2) -> Iterator[str]:
    """gunicorn on a free loopback port with the bench settings and production's gunicorn.conf.py (worker class,
    threads, timeouts), ``workers`` processes; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "GUNICORN_ACCESS_LOG": ""}
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "rilo.wsgi:application",
        f"--config={BASE_DIR / 'gunicorn.conf.py'}",
        f"--workers={workers}",
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


def percentile_ms(latencies: Sequence[float], p: float) -> float | None:
    """The ``p``-th quantile (0..1) of ``latencies``, rounded to 0.01 ms; None for none."""
    ordered = sorted(latencies)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2) if ordered else None


@dataclass
class LoadResult:
    """What a load loop measured."""

    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    db_queries: list[int] = field(default_factory=list)
    failures: int = 0  # connection errors and timeouts
    by_url: dict[str, list[float]] = field(default_factory=dict)  # the latencies of each URL of a mix

    def figures(self) -> Figures:
        latencies = sorted(self.latencies_ms)
        count = len(latencies)

        errors = self.failures + sum(n for status, n in self.statuses.items() if status >= 400)
        return {
            "requests": count,
            "seconds": round(self.seconds, 2),
            "rps": round(count / self.seconds, 1) if self.seconds else None,
            "p50_ms": percentile_ms(latencies, 0.50),
            "p95_ms": percentile_ms(latencies, 0.95),
            "p99_ms": percentile_ms(latencies, 0.99),
            "max_ms": round(latencies[-1], 2) if count else None,
            "errors": errors,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "db_queries_per_request": statistics.median(self.db_queries) if self.db_queries else None,
            "db_queries_max": max(self.db_queries) if self.db_queries else None,
        }


def load(
    url: str | Sequence[tuple[str, dict[str, str]]],
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
    are done or ``max_seconds`` have passed; ``warmup`` requests first, not counted.

    ``url`` is one URL (sent with ``headers``) or a mix of ``(url, headers)`` pairs, sent in turn; the
    latencies of each pair's URL are also kept apart (:attr:`LoadResult.by_url`)."""
    import requests

    mix = [(url, headers or {})] if isinstance(url, str) else list(url)
    with requests.Session() as session:
        for number in range(max(warmup, len(mix))):
            target, target_headers = mix[number % len(mix)]
            session.request(method, target, headers=target_headers, json=json_body, timeout=30)

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
                    target, target_headers = mix[issued % len(mix)]
                    issued += 1
                began = time.perf_counter()
                try:
                    response = session.request(method, target, headers=target_headers, json=json_body, timeout=30)
                except requests.RequestException:
                    with lock:
                        result.failures += 1
                    continue
                elapsed_ms = (time.perf_counter() - began) * 1000
                with lock:
                    result.latencies_ms.append(elapsed_ms)
                    result.by_url.setdefault(target, []).append(elapsed_ms)
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


def registered() -> dict[str, Measure]:
    """Every benchmark, by name (importing the benchmark modules registers them)."""
    import importlib

    for module in BENCHMARK_MODULES:
        importlib.import_module(module)
    return BENCHMARKS


def main(names: list[str]) -> int:
    registered()
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Known: {', '.join(sorted(BENCHMARKS))}.", file=sys.stderr)
        return 2
    prepare()
    for name in names or list(BENCHMARKS):
        measured = BENCHMARKS[name]()
        for figures in measured if isinstance(measured, list) else [measured]:
            print(json.dumps({"bench": name, **figures}), flush=True)
    return 0
