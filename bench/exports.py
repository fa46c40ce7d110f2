"""Export figures for the ``web_lists`` benchmark: a CSV export of ``RILO_EXPORT_ROW_LIMIT`` rows through the page,
against PostgreSQL's ``COPY`` of the same SELECT (the bound on what an export can reach).

:func:`export_figures` picks filters of the list that give the user at most the limit's rows (the newest seizure
dates), downloads ``/reports/export.csv`` with them through the running web server (signed in with the given
session cookies), timing it from the request to the last byte, and counts the rows it received. Then it runs
``COPY (<the export's SELECT>) TO STDOUT`` for the same user and filters, with the export's own settings
(apps/reports/sql.py), timing it to the last byte too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from typing import Any

from apps.core.actor import Actor


def export_filters(*, user: Actor, limit: int) -> dict[str, str]:
    """List filters under which ``user`` sees as many reports as ``limit`` allows, but no more: those seized on or
    after a date (the list's newest first)."""
    from apps.reports.selectors import report_list

    dates = report_list(user=user).order_by("-seizure_date").values_list("seizure_date", flat=True)
    edge = dates[limit - 1 : limit].first()
    if edge is None:
        return {}  # the user sees fewer reports than the limit: all of them
    if report_list(user=user, filters={"date_from": edge}).count() > limit:
        edge += dt.timedelta(days=1)
    return {"date_from": edge.isoformat()}


def _copy(*, user: Actor, filters: dict[str, str]) -> tuple[int, int, float]:
    """COPY the export's SELECT for ``user`` and ``filters`` to nowhere: (rows, bytes, seconds)."""
    from django.db import connection, transaction
    from django.http import QueryDict

    from apps.reports import sql
    from apps.reports.exports import export_list, export_rows, export_rows_sql
    from apps.reports.filtersets import list_filterset

    data = QueryDict(mutable=True)
    data.update(filters)
    filterset = list_filterset(data, export_list(user=user, list_name="reports"), user=user, queue=False)
    if filterset.is_bound and not filterset.is_valid():
        raise RuntimeError(f"the export's filters are not valid: {filterset.errors}")
    query, params = export_rows_sql(user=user, reports=export_rows(filterset, list_name="reports"))
    rows = size = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        sql.export_settings(cursor, local=True)
        raw: Any = cursor.cursor  # psycopg's own cursor
        with raw.copy(f"COPY ({query}) TO STDOUT", params) as copy:
            for data_block in copy:
                size += len(data_block)
                rows += bytes(data_block).count(b"\n")
    return rows, size, time.perf_counter() - started


def export_figures(base_url: str, cookies: dict[str, str], user: Actor) -> dict[str, Any]:
    """Time a CSV export of the limit's rows through the page and a COPY of the same SELECT; their figures."""
    import requests
    from django.conf import settings

    limit = settings.RILO_EXPORT_ROW_LIMIT
    filters = export_filters(user=user, limit=limit)
    chunks: list[bytes] = []
    started = time.perf_counter()
    with requests.get(f"{base_url}/reports/export.csv", params=filters, cookies=cookies, stream=True, timeout=120) as r:
        r.raise_for_status()
        if not r.headers.get("Content-Type", "").startswith("text/csv"):
            raise RuntimeError(f"the export answered {r.headers.get('Content-Type')}, not CSV (above the limit?)")
        for chunk in r.iter_content(chunk_size=64 * 1024):
            chunks.append(chunk)
    export_seconds = time.perf_counter() - started
    received = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    rows = len(received) - 1  # the header row
    copy_rows, copy_bytes, copy_seconds = _copy(user=user, filters=filters)
    if copy_rows != rows:
        raise RuntimeError(f"the export gave {rows} rows, COPY of its SELECT {copy_rows}")
    export_rate = rows / export_seconds
    copy_rate = copy_rows / copy_seconds
    return {
        "rows": rows,
        "export_filters": filters,
        "export_seconds": round(export_seconds, 3),
        "export_bytes": sum(len(chunk) for chunk in chunks),
        "export_rows_per_s": round(export_rate),
        "copy_seconds": round(copy_seconds, 3),
        "copy_bytes": copy_bytes,
        "copy_rows_per_s": round(copy_rate),
        "export_share_of_copy": round(export_rate / copy_rate, 3),
    }
