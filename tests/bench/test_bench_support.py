"""Pieces of the benchmark harness that run inside the suite: the query counter and the figures."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.test import override_settings

from apps.core.tasks import purge_idempotency_records
from bench.harness import LoadResult, registered
from tests.helpers import bearer


def test_the_query_counter_reports_one_statement_for_me(api, alice, issue_token):
    auth = bearer(issue_token(alice))
    with override_settings(MIDDLEWARE=["apps.core.middleware.QueryCountHeaderMiddleware", *settings.MIDDLEWARE]):
        first = api.get("/api/v1/me/", **auth)
        second = api.get("/api/v1/me/", **auth)
    # The token lookup brings the account and its tenant; the first use also records last_used_at.
    assert first["X-DB-Queries"] == "2"
    assert second["X-DB-Queries"] == "1"


def test_the_query_counter_is_off_outside_bench_settings(api, alice, issue_token):
    assert "X-DB-Queries" not in api.get("/api/v1/me/", **bearer(issue_token(alice)))


def test_load_figures_are_percentiles_of_what_was_measured():
    result = LoadResult(
        seconds=2.0,
        latencies_ms=[float(n) for n in range(1, 101)],
        statuses=Counter({200: 99, 500: 1}),
        db_queries=[1] * 100,
    )
    figures = result.figures()
    assert (figures["requests"], figures["rps"], figures["errors"]) == (100, 50.0, 1)
    assert (figures["p50_ms"], figures["p95_ms"], figures["max_ms"]) == (51.0, 96.0, 100.0)
    assert figures["db_queries_per_request"] == 1


def test_the_api_me_benchmark_is_registered():
    assert {"api_me", "api", "exchange"} <= set(registered())


def test_the_purge_task_deletes_expired_records(alice):
    from datetime import timedelta

    from django.utils import timezone

    from apps.core.models import IdempotencyRecord

    old = timezone.now() - timedelta(hours=25)
    IdempotencyRecord.objects.create(user=alice, key="a" * 64, method="POST", path="/x/", request_hash="b" * 64)
    IdempotencyRecord.objects.create(
        user=alice, key="c" * 64, method="POST", path="/x/", request_hash="b" * 64, created_at=old
    )
    assert purge_idempotency_records() == 1
    assert IdempotencyRecord.objects.get().key == "a" * 64
