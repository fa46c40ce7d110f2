"""A full rebuild of the summaries never holds up a dashboard read: it replaces one seizure month per short
transaction, and readers see each month's previous figures until its new ones are committed."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connection, connections

from apps.dashboards.models import (
    DirtyBucket,
    LargestItem,
    RegionReportSummary,
    ReportSummary,
)
from apps.dashboards.services import statistics_cache_invalidate, statistics_rebuild
from apps.reports.choices import ReportStatus
from tests.builders import build_report, cocaine
from tests.dashboards.summary_rows import summary_rows
from tests.helpers import bearer

URL = "/api/v1/statistics/transport_mode/"
READ_LOCK_TIMEOUT = "3s"  # a read held up longer than this by the rebuild fails


def _waiting_on(table: str) -> int:
    """How many sessions wait for a lock on ``table``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass", [table])
        return int(cursor.fetchone()[0])


def _reports_of(data: dict[str, Any]) -> int:
    return sum(row["reports"] for row in data["rows"])


@pytest.mark.django_db(transaction=True)
def test_a_read_of_the_statistics_answers_while_a_rebuild_runs(api: Any, issue_token: Any, france: Any, erin: Any):
    for day in (dt.date(2025, 3, 10), dt.date(2025, 3, 11), dt.date(2025, 4, 2)):
        build_report(by=france, status=ReportStatus.APPROVED, seizure_date=day, items=[cocaine(5)])
    assert statistics_rebuild() == 2  # March and April
    auth = bearer(issue_token(erin))
    assert _reports_of(api.get(URL, **auth).json()) == 3
    DirtyBucket.objects.create(month=dt.date(2025, 3, 1), administration=france)

    # Hold the rebuild open in the middle of its work: another session keeps the largest items' table locked, so
    # the rebuild waits there, having already replaced (uncommitted) the report summaries it reached.
    blocker = connections.create_connection("default")
    largest = LargestItem._meta.db_table
    errors: list[BaseException] = []

    def rebuild() -> None:
        try:
            statistics_rebuild()
        except BaseException as error:  # reported by the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    worker = threading.Thread(target=rebuild)
    with blocker.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute(f"LOCK TABLE {connection.ops.quote_name(largest)} IN ACCESS EXCLUSIVE MODE")
    try:
        worker.start()
        deadline = time.monotonic() + 30
        while not _waiting_on(largest) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_on(largest), "the rebuild never reached the largest items"
        assert worker.is_alive()

        statistics_cache_invalidate()  # the read goes to the tables, not to a cached answer
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, false)", ["lock_timeout", READ_LOCK_TIMEOUT])
        started = time.monotonic()
        response = api.get(URL, **auth)
        assert response.status_code == 200
        assert _reports_of(response.json()) == 3  # the previous figures, whole
        assert time.monotonic() - started < 3
        assert DirtyBucket.objects.filter(month=dt.date(2025, 3, 1)).exists()  # its deletion not yet committed
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
        with blocker.cursor() as cursor:
            cursor.execute("COMMIT")
        blocker.close()
        worker.join(timeout=60)
    assert not worker.is_alive() and not errors, errors
    statistics_cache_invalidate()
    assert _reports_of(api.get(URL, **auth).json()) == 3
    assert ReportSummary.objects.filter(dimension="total", category="*").count() == 2
    assert not DirtyBucket.objects.exists()  # the marks the rebuild covered are gone


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_on_two_connections_gives_the_rows_of_one(france: Any, germany: Any, kazakhstan: Any):
    for n in range(8):
        for administration in (france, germany, kazakhstan):
            build_report(by=administration, status=ReportStatus.APPROVED if n % 3 else ReportStatus.SUBMITTED,
                         seizure_date=dt.date(2025, 1 + n % 4, 3 + n), items=[cocaine(n + 1)])  # fmt: skip
    assert statistics_rebuild(workers=1) == 4
    one = summary_rows()
    assert all(one.values()), {name: len(rows) for name, rows in one.items()}
    ReportSummary.objects.all().delete()
    RegionReportSummary.objects.all().delete()
    assert statistics_rebuild(workers=2) == 4
    assert summary_rows() == one
    # The region-wide rows are the sums of their administrations' rows.
    totals = RegionReportSummary.objects.filter(place="", dimension="total", category="*")
    per_region = {(m, r, s): n for m, r, s, n in totals.values_list("month", "region_id", "state", "reports")}
    per_administration: dict[tuple[Any, ...], int] = {}
    rows = ReportSummary.objects.filter(dimension="total", category="*")
    for m, r, s, n in rows.values_list("month", "administration__region_id", "state", "reports"):
        per_administration[(m, r, s)] = per_administration.get((m, r, s), 0) + n
    assert per_region == per_administration
    assert sum(per_region.values()) == 24
