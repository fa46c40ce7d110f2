"""API benchmarks: ``make bench BENCH=api_me`` and ``make bench BENCH=api``.

``api`` also measures, in the same run and with the same client concurrency, **the limit**: the same page of
100 reports produced straight from PostgreSQL through psycopg (one query, the JSON built by the database, no
Django in the loop), served by a minimal HTTP server on loopback with as many processes as gunicorn has
workers. Absolute request rates on a shared machine swing by a third from run to run; ``share_of_limit``
(our requests per second over the limit's) does not.

The limit's JSON has the same fields as the API page: its keys are read from one real answer of the API
(per report, per part row, per nested object), never typed here; each key is taken from the model column,
term code or part rows of the same name, and a key that is null in every report of the answer (personal
values, which lists leave out) or that names no column (a derived value) is written as null. Its rows are
the API's rows: the report query is the API's own restrict() and ordering, compiled once by Django before
the measurement; ``limit_same_reports`` says whether both pages listed the same reports in the same order.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from apps.core.actor import Actor
from bench.harness import (
    Figures,
    bearer,
    bench_account,
    benchmark,
    free_port,
    gunicorn,
    load,
    revoke_bench_tokens,
    wait_until_answers,
)


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


BENCH_REPORTS = 100_000


def ensure_reports(count: int) -> int:
    """At least ``count`` reports in the database: the demo seeder adds what is missing (it spreads them over
    every administration, the bench one included); data seeded earlier is reused. Returns the count."""
    from django.db import connection

    from apps.reports.models import Report
    from demo.reports import seed_reports

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
    items, route, conveyances and parties' profiles; restrict(), filters, serialisation, JSON. Then the limit
    (see the module's docstring) under the same load loop."""
    import requests

    workers, concurrency, page_size = 2, 8, 100
    user, plaintext = bench_account()
    reports = ensure_reports(BENCH_REPORTS)
    path = f"/api/v1/reports/?page_size={page_size}"
    try:
        with gunicorn(workers=workers) as base_url:
            answer = requests.get(f"{base_url}{path}", headers=bearer(plaintext), timeout=60)
            answer.raise_for_status()
            page = answer.json()
            result = load(f"{base_url}{path}", headers=bearer(plaintext), concurrency=concurrency)
    finally:
        revoke_bench_tokens()
    query, params = limit_query(user=user, page=page, page_size=page_size)
    with limit_server(query, params, workers=workers) as limit_url:
        limit_page = requests.get(limit_url, timeout=60).json()
        limit = load(limit_url, concurrency=concurrency)
    figures = result.figures()
    limit_figures = limit.figures()
    share = round(figures["rps"] / limit_figures["rps"], 3) if figures["rps"] and limit_figures["rps"] else None
    return {
        "bench": "api_list",
        "p50_ms": figures["p50_ms"],
        "p95_ms": figures["p95_ms"],
        "rps": figures["rps"],
        "queries_per_request": figures["db_queries_per_request"],
        "limit_rps": limit_figures["rps"],
        "share_of_limit": share,
        "limit_p95_ms": limit_figures["p95_ms"],
        "limit_errors": limit_figures["errors"],
        "limit_same_reports": _uuids(limit_page) == _uuids(page),
        "limit_same_keys": _keys(limit_page) == _keys(page),
        "path": path,
        "reports_in_database": reports,
        "workers": workers,
        "concurrency": concurrency,
        **figures,
    }


# --- the limit ---------------------------------------------------------------------------------


def _uuids(page: dict[str, Any]) -> list[str]:
    return [report.get("uuid") for report in page.get("results", [])]


def _keys(value: Any) -> Any:
    """The shape of a JSON value: its keys, recursively (the first non-empty element of a list stands for all)."""
    if isinstance(value, dict):
        return {key: _keys(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_keys(next((element for element in value if element), value[0]))] if value else []
    return None


def _samples(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Every value each key takes over ``rows``, keys in the order the API writes them."""
    samples: dict[str, list[Any]] = {}
    for row in rows:
        for key, value in row.items():
            samples.setdefault(key, []).append(value)
    return samples


def _object(model: Any, alias: str, rows: list[dict[str, Any]]) -> Any:
    """SQL of a ``json_build_object`` with the keys of ``rows`` (the API's objects for rows of ``model``)."""
    from psycopg import sql

    parts: list[Any] = []
    for key, values in _samples(rows).items():
        parts += [sql.Literal(key), _value(model, alias, key, values)]
    return sql.SQL("json_build_object({})").format(sql.SQL(", ").join(parts))


def _value(model: Any, alias: str, key: str, values: list[Any]) -> Any:
    """SQL of one key's value: the column, term code, nested object or part rows of that name, else null."""
    from django.core.exceptions import FieldDoesNotExist
    from django.db import models
    from psycopg import sql

    null = sql.SQL("NULL")
    if all(value is None for value in values):
        return null  # personal values a list leaves out, or nothing to show on this page
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return null  # a derived value (not a column)
    table = sql.Identifier(alias)
    if field.many_to_many:
        through = field.remote_field.through._meta
        target = field.related_model._meta
        own = field.m2m_column_name()
        other = field.m2m_reverse_name()
        return sql.SQL(
            "(SELECT coalesce(json_agg(t.code ORDER BY m.id), '[]') FROM {through} m "
            "JOIN {target} t ON t.id = m.{other} WHERE m.{own} = {table}.id)"
        ).format(
            through=sql.Identifier(through.db_table),
            target=sql.Identifier(target.db_table),
            other=sql.Identifier(other),
            own=sql.Identifier(own),
            table=table,
        )
    if field.one_to_many:  # the rows of a part (items, route, conveyances, parties)
        related = field.related_model
        rows = [row for value in values for row in (value or [])]
        if not rows:
            return sql.SQL("'[]'::json")
        child = f"{alias}_{key}"
        return sql.SQL(
            "(SELECT coalesce(json_agg({object} ORDER BY {child}.id), '[]') FROM {part} {child} "
            "WHERE {child}.{fk} = {table}.id)"
        ).format(
            object=_object(related, child, rows),
            part=sql.Identifier(related._meta.db_table),
            child=sql.Identifier(child),
            fk=sql.Identifier(field.field.attname),
            table=table,
        )
    column = sql.SQL("{}.{}").format(table, sql.Identifier(field.column))
    if field.many_to_one:
        related = field.related_model
        other = f"{alias}_{key}"
        if any(isinstance(value, dict) for value in values):
            value = _object(related, other, [value for value in values if isinstance(value, dict)])
        else:
            names = {f.name for f in related._meta.concrete_fields}
            name = "code" if "code" in names else "uuid" if "uuid" in names else related._meta.pk.name
            value = sql.SQL("{}.{}::text").format(sql.Identifier(other), sql.Identifier(name))
        return sql.SQL("(SELECT {value} FROM {related} {other} WHERE {other}.id = {column})").format(
            value=value, related=sql.Identifier(related._meta.db_table), other=sql.Identifier(other), column=column
        )
    if isinstance(field, models.DecimalField | models.UUIDField):
        return sql.SQL("{}::text").format(column)  # the API writes exact digits and uuids as strings
    return column


def limit_query(*, user: Actor, page: dict[str, Any], page_size: int) -> tuple[str, list[Any]]:
    """The one query that builds the API's page in PostgreSQL: the reports ``user`` may see, in the API's order,
    each as an object with the keys of ``page`` (the API's answer). Compiled once, here, by Django."""
    from django.db import connection
    from psycopg import sql

    from apps.reports.api.views import DEFAULT_ORDERING
    from apps.reports.models import Report

    tie = "-pk" if DEFAULT_ORDERING.startswith("-") else "pk"
    reports = Report.objects.restrict(user, "view").order_by(DEFAULT_ORDERING, tie)[:page_size]
    inner, params = reports.query.sql_with_params()
    envelope = {key: value for key, value in page.items() if key != "results"}
    parts: list[Any] = []
    for key in envelope:
        parts += [sql.Literal(key), sql.SQL("NULL")]  # cursor links: the limit serves one page
    parts += [
        sql.Literal("results"),
        sql.SQL("coalesce(json_agg({} ORDER BY r.n), '[]')").format(_object(Report, "r", page["results"])),
    ]
    query = sql.SQL(
        "SELECT json_build_object({})::text FROM (SELECT page.*, row_number() OVER () AS n FROM ({}) page) r"
    ).format(sql.SQL(", ").join(parts), sql.SQL(inner))
    with connection.cursor() as cursor:
        text = query.as_string(cursor.connection)
    return text, list(params)


class _LimitServer(ThreadingHTTPServer):
    daemon_threads = True
    query: str
    params: list[Any]
    database_url: str
    local: threading.local

    def server_bind(self) -> None:
        # Several processes accept on one port, as gunicorn's workers do.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


class _LimitHandler(BaseHTTPRequestHandler):
    server: _LimitServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        import psycopg

        local = self.server.local
        if getattr(local, "connection", None) is None:
            local.connection = psycopg.connect(self.server.database_url, autocommit=True)
        row = local.connection.execute(self.server.query, self.server.params).fetchone()
        body = (row[0] if row else "{}").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve_limit(port: int, query: str, params: list[Any], database_url: str) -> None:
    server = _LimitServer(("127.0.0.1", port), _LimitHandler)
    server.query, server.params, server.database_url = query, params, database_url
    server.local = threading.local()
    server.serve_forever()


@contextmanager
def limit_server(query: str, params: list[Any], *, workers: int) -> Iterator[str]:
    """``workers`` processes answering every GET with the limit's page on one loopback port; yields its URL."""
    port = free_port()
    context = multiprocessing.get_context("spawn")
    database_url = os.environ["DATABASE_URL"]
    processes = [
        context.Process(target=_serve_limit, args=(port, query, params, database_url), daemon=True)
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        url = f"http://127.0.0.1:{port}/limit"
        wait_until_answers(url)
        yield url
    finally:
        for process in processes:
            process.terminate()
            process.join(timeout=10)
