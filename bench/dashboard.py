"""The regional dashboard at 1,000,000 reports: ``make bench BENCH=dashboard``.

In a database of its own (the ``DATABASE_URL`` database's name + ``_dashboard``, kept between runs), a region of
ten administrations gets 1,000,000 reports from the demo seeder (PostgreSQL COPY, two writers; about 1.5 million
items), 2 % of them in one joint operation. Then:

- ``rebuild_s``: ``statistics_rebuild()`` (what ``manage.py rebuild_statistics`` runs), timed;
- gunicorn (2 workers) serves ``/api/v1/statistics/{panel}/`` for every panel and five filter sets (region all
  time; the last twelve months; one commodity category; one country as departure; one joint operation) to 8
  client threads. ``p50_ms``/``p95_ms``/``rps`` are of cold requests (the panel cache emptied before each of
  ``COLD_PASSES`` passes over every URL); ``cached_p95_ms`` of the load loop that follows;
- ``baseline_p95_ms``: the same panels computed in this process from the base tables (plain ``GROUP BY`` over the
  reports and items, :class:`apps.dashboards.selectors.BaseSource`), one at a time; ``consistent``: every panel's
  rows from the API equal the baseline's (the live review-queue and forwarding panels are read from their own
  tables both ways and are left out);
- ``freshness_p95_s``: a Celery worker runs; ``FRESHNESS_SAMPLES`` submitted reports are approved one by one
  through ``report_approve`` and the API's key figures are polled until the report is counted.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from apps.core.runtime import BASE_DIR
from bench.harness import Figures, bearer, benchmark, gunicorn, load, percentile_ms, settle_database

REPORTS = int(os.environ.get("RILO_BENCH_DASHBOARD_REPORTS", "1000000"))
WORKERS, CONCURRENCY = 2, 8
COLD_PASSES = 3
FRESHNESS_SAMPLES = 10
OPERATION_SHARE = 50  # one report in 50 belongs to the joint operation
REGION_COUNTRIES = ("FR", "DE", "NL", "BE", "ES", "IT", "PL", "AT", "PT", "CZ")
LIVE_PANELS = frozenset({"review_queue", "forwarding"})
USERNAME = "bench-dashboard-analyst"


def log(message: str) -> None:
    print(f"dashboard: {message}", file=sys.stderr, flush=True)


@contextmanager
def own_database() -> Iterator[None]:
    """Point this process (and the servers it starts) at the ``_dashboard`` database, migrated."""
    from django.core.management import call_command
    from django.db import connections

    from bench.harness import _ensure_database

    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_dashboard"
    own = urlunsplit(parts._replace(path=f"/{name}"))
    _ensure_database(own)
    settings_dict = connections["default"].settings_dict
    previous = settings_dict["NAME"]
    connections["default"].close()
    settings_dict["NAME"] = name
    os.environ["DATABASE_URL"] = own
    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        connections["default"].close()
        settings_dict["NAME"] = previous
        os.environ["DATABASE_URL"] = url


def prepare_data() -> tuple[Any, Any, int]:
    """The region, its analyst, the joint operation and the reports (seeded once, reused by later runs)."""
    from django.db.models import F

    from apps.accounts.models import User
    from apps.accounts.roles import Role
    from apps.accounts.services import user_create
    from apps.reports.models import Operation, Report
    from apps.tenancy.models import Administration, Region
    from demo.reports import seed_reports

    region, _ = Region.objects.get_or_create(code="bench-dashboard", defaults={"name": "Dashboard benchmark RILO"})
    for country in REGION_COUNTRIES:
        Administration.objects.get_or_create(
            country=country,
            defaults={"region": region, "name": f"Customs {country}", "code": f"dash-{country.lower()}"},
        )
    analyst = User.objects.filter(username=USERNAME).first() or user_create(
        actor=None, username=USERNAME, role=Role.RILO_ANALYST, region=region
    )
    existing = Report.objects.count()
    if existing < REPORTS:
        log(f"seeding {REPORTS - existing} reports (once; later runs reuse them)...")
        made, seconds = seed_reports(count=REPORTS - existing, workers=2)
        log(f"seeded {made} reports in {seconds:.0f} s ({made / seconds:.0f} reports/s)")
    operation, _ = Operation.objects.get_or_create(
        code="bench-op", defaults={"name": "Benchmark joint operation", "region": region}
    )
    if not Report.objects.filter(operation=operation).exists():
        Report.objects.annotate(slot=F("id") % OPERATION_SHARE).filter(slot=0).update(operation=operation)
    # A settled database after the seeding and the operation's update; quick when nothing changed.
    settle_database()
    return analyst, operation, Report.objects.count()


def filter_sets(operation: Any) -> dict[str, dict[str, str]]:
    """The five filter sets of the requirement."""
    from django.db.models import Count

    from apps.reports.models import ReportItem, RouteCountry

    today = dt.date.today()
    first = dt.date(today.year - 1 + (today.month == 12), today.month % 12 + 1, 1)  # twelve whole months to this one
    last = dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1) - dt.timedelta(days=1)
    category = (
        ReportItem.objects.values("commodity_category__code").annotate(n=Count("pk")).order_by("-n").first() or {}
    ).get("commodity_category__code", "")
    country = (
        RouteCountry.objects.filter(role__in=["departure", "origin"])
        .values("country")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
        or {}
    ).get("country", "")
    return {
        "region_all_time": {},
        "last_twelve_months": {"date_from": first.isoformat(), "date_to": last.isoformat()},
        "one_category": {"category": category},
        "one_country_as_departure": {"country": country, "country_role": "departure"},
        "one_joint_operation": {"operation": operation.code},
    }


def _cold_passes(urls: list[str], headers: dict[str, str]) -> tuple[list[float], float, dict[str, Any]]:
    """Every URL once per pass from 8 threads, the panel cache emptied before each pass; the latencies, the
    seconds taken and the last answer of each URL."""
    import requests

    from apps.dashboards.services import statistics_cache_invalidate

    latencies: list[float] = []
    answers: dict[str, Any] = {}
    elapsed = 0.0
    lock = threading.Lock()
    for _ in range(COLD_PASSES):
        statistics_cache_invalidate()
        queue = list(urls)

        def worker(queue: list[str] = queue) -> None:
            with requests.Session() as session:
                while True:
                    with lock:
                        if not queue:
                            return
                        url = queue.pop()
                    began = time.perf_counter()
                    response = session.get(url, headers=headers, timeout=300)
                    took = (time.perf_counter() - began) * 1000
                    with lock:
                        latencies.append(took)
                        answers[url] = (
                            response.json() if response.status_code == 200 else {"status": response.status_code}
                        )

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed += time.perf_counter() - started
    return latencies, elapsed, answers


def baseline(
    analyst: Any, sets: dict[str, dict[str, str]], keys: list[str]
) -> tuple[list[float], dict[tuple[str, str], Any]]:
    """Every panel under every filter set from the base tables, in this process, one at a time."""
    from django.http import QueryDict

    from apps.dashboards.filtersets import StatisticsFilters
    from apps.dashboards.panels import PANELS, PanelContext
    from apps.dashboards.selectors import BaseSource, statistics_administrations, statistics_scope

    scope = statistics_scope(user=analyst)
    assert scope is not None  # noqa: S101 - the bench's own analyst has a region
    latencies, rows = [], {}
    for name, params in sets.items():
        query = QueryDict(mutable=True)
        query.update(params)
        filters = StatisticsFilters.from_query(query, administrations=statistics_administrations(scope=scope))
        for key in keys:
            source = BaseSource(filters, scope)
            source.timeout_ms = 30 * 60 * 1000  # the baseline is measured, not cut short
            began = time.perf_counter()
            result = PANELS[key].compute(PanelContext(user=analyst, filters=filters, scope=scope, source=source))
            latencies.append((time.perf_counter() - began) * 1000)
            # Person-derived figures under finer cuts are withheld by panel_data; the baseline withholds them alike.
            rows[(name, key)] = [] if PANELS[key].personal and filters.person_refusals() else result.rows
        log(f"baseline: {name} done")
    return latencies, rows


def _json_rows(rows: list[dict[str, Any]]) -> Any:
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(rows, cls=DjangoJSONEncoder))


@contextmanager
def celery_worker() -> Iterator[None]:
    celery = str(Path(sys.executable).with_name("celery"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "rilo.settings.bench"}
    argv = [celery, "-A", "rilo", "worker", "-Q", "default", "-n", "dashboard@%h", "--pool", "threads",
            "--concurrency", "2", "--without-gossip", "--without-mingle", "-l", "WARNING"]  # fmt: skip
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            argv, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            from rilo.celery import app

            deadline = time.monotonic() + 60
            while not (app.control.ping(timeout=1.0) or []):
                if time.monotonic() > deadline or process.poll() is not None:
                    output.seek(0)
                    raise RuntimeError(f"the Celery worker did not start: {output.read()[-2000:]!r}")
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def freshness(base_url: str, headers: dict[str, str], analyst: Any) -> list[float]:
    """Seconds from each approval's commit to the approved report counted by the API's key figures."""
    import requests

    from apps.reports.models import Report
    from apps.reports.services import report_approve

    def counted() -> int:
        answer = requests.get(f"{base_url}/api/v1/statistics/key_figures/", headers=headers, timeout=60).json()
        return int(next(row["value"] for row in answer["rows"] if row["figure"] == "reports"))

    waiting = Report.objects.filter(
        status="submitted", duplicate_of__isnull=True, administration__region_id=analyst.region_id
    ).order_by("-seizure_date", "pk")[:FRESHNESS_SAMPLES]
    samples = []
    for report in list(waiting):
        before = counted()
        report_approve(report=report, actor=analyst)
        approved = time.perf_counter()
        while counted() == before:
            if time.perf_counter() - approved > 120:
                raise RuntimeError("an approved report was not counted within 2 minutes")
            time.sleep(0.05)
        samples.append(time.perf_counter() - approved)
    return samples


@benchmark("dashboard")
def dashboard() -> Figures:
    """Every panel for five filter sets at 1,000,000 reports, against plain GROUP BY over the base tables."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.accounts.services import token_issue
    from apps.dashboards.panels import PANELS
    from apps.dashboards.services import statistics_rebuild

    with own_database():
        analyst, operation, reports = prepare_data()
        log(f"{reports} reports; rebuilding the summaries...")
        began = time.perf_counter()
        statistics_rebuild()
        rebuild_s = time.perf_counter() - began
        log(f"rebuilt in {rebuild_s:.1f} s")
        sets = filter_sets(operation)
        keys = sorted(PANELS)
        _, token = token_issue(
            user=analyst,
            name="dashboard bench",
            scopes=["read"],
            expires_at=timezone.now() + timedelta(hours=3),
            actor=None,
        )
        headers = bearer(token)
        with gunicorn(workers=WORKERS) as base_url:
            urls = {
                (name, key): f"{base_url}/api/v1/statistics/{key}/?{urlencode(params)}"
                for name, params in sets.items()
                for key in keys
            }
            log(f"{len(urls)} panel URLs, {COLD_PASSES} cold passes...")
            cold, cold_seconds, answers = _cold_passes(list(urls.values()), headers)
            log("cached load loop...")
            cached = load([(url, headers) for url in urls.values()], concurrency=CONCURRENCY, max_seconds=20)
            log("baseline from the base tables...")
            base_latencies, base_rows = baseline(analyst, sets, keys)
            differing = sorted(
                f"{name}/{key}"
                for (name, key), url in urls.items()
                if key not in LIVE_PANELS and answers[url].get("rows") != _json_rows(base_rows[(name, key)])
            )
            log("freshness: approvals counted by the API, a Celery worker recomputing...")
            with celery_worker():
                fresh = freshness(base_url, headers, analyst)
    p95 = percentile_ms(cold, 0.95)
    baseline_p95 = percentile_ms(base_latencies, 0.95)
    return {
        "reports": reports,
        "p50_ms": percentile_ms(cold, 0.50),
        "p95_ms": p95,
        "rps": round(len(cold) / cold_seconds, 1) if cold_seconds else None,
        "baseline_p95_ms": baseline_p95,
        "x_faster_than_baseline": round(baseline_p95 / p95, 1) if p95 and baseline_p95 else None,
        "consistent": not differing,
        "rebuild_s": round(rebuild_s, 1),
        "freshness_p95_s": round(sorted(fresh)[min(len(fresh) - 1, int(0.95 * len(fresh)))], 2) if fresh else None,
        "cached_p95_ms": cached.figures()["p95_ms"],
        "errors": sum(1 for a in answers.values() if "status" in a) + cached.figures()["errors"],
        "differing": differing[:20],
        "panels": len(keys),
        "filter_sets": sorted(sets),
        "sources": {name: sorted({answers[urls[(name, key)]].get("source", "?") for key in keys}) for name in sets},
        "workers": WORKERS,
        "concurrency": CONCURRENCY,
    }
