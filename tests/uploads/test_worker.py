"""Uploads through real Celery worker processes (with beat) on a real Redis: a whole upload is checked and
committed by workers on the ``uploads`` queue; a worker killed half-way through a commit leaves nothing written,
and the sweep has another worker write it, once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from django.db import connection, transaction

from apps.audit.models import AuditEvent
from apps.reports.choices import ReportStatus
from apps.reports.models import Report, ReportItem
from apps.uploads.choices import UploadState
from apps.uploads.models import Upload
from apps.uploads.services import upload_commit
from bench.partners import wait_for
from tests.builders import vocabulary
from tests.exchange.processes import CeleryWorker
from tests.exchange.test_faults import broker, database_url_of_tests, start_worker

from .engine import csv_bytes, csv_row, send

__all__ = ["broker", "start_worker"]

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WAIT = 60.0


@pytest.fixture
def uploads_root(settings, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()
    return Path(settings.RILO_UPLOADS_ROOT)


def _state(upload: Upload, state: str, worker: CeleryWorker) -> Upload:
    def reached() -> Upload | None:
        current = Upload.objects.get(pk=upload.pk)
        return current if current.state == state else None

    try:
        return wait_for(reached, timeout=WAIT, message=f"the upload did not become {state}")
    except AssertionError as error:
        current = Upload.objects.get(pk=upload.pk)
        raise AssertionError(f"{error}; it is {current.state} {current.error}\n{worker.log()[-4000:]}") from None


def _file(count: int) -> bytes:
    """``count`` reports, every third with a second item (on a row of its own, the report's cells repeated)."""

    def row(number: int, **item: str) -> dict[str, str]:
        return csv_row(f"W-{number:04d}", seizure_date=f"2025-03-{1 + number % 28:02d}", **item)

    return csv_bytes(
        *(row(number) for number in range(count)),
        *(row(number, quantity="500", description="More") for number in range(0, count, 3)),
    )


def test_a_whole_upload_is_checked_and_committed_by_workers(
    alice, uploads_root, start_worker: Callable[..., CeleryWorker]
):
    # Checked with a helper process the worker's process forks (apps/uploads/helper.py): the helper checks the
    # first block of reports, here all of them, and hands them over.
    worker = start_worker(
        RILO_UPLOADS_ROOT=str(uploads_root), RILO_UPLOADS_PROGRESS_ROWS="10", RILO_UPLOADS_CHECK_HELPER_FROM="0"
    )
    with transaction.atomic():
        upload = send(alice, _file(60))  # the check is asked for once this commits

    checked = _state(upload, UploadState.CHECKED, worker)
    assert (checked.rows_read, checked.rows_checked, checked.rows_total) == (80, 80, 80)
    assert (checked.new_reports, checked.rows_with_errors) == (60, 0)
    assert not Report.objects.filter(national_reference__startswith="W-").exists()

    with transaction.atomic():
        upload_commit(upload=checked, actor=alice, submit=True)
    done = _state(upload, UploadState.COMMITTED, worker)

    assert done.rows_written == 80 and done.new_reports == 60
    reports = Report.objects.filter(national_reference__startswith="W-")
    assert reports.count() == 60
    assert set(reports.values_list("status", "administration_id")) == {
        (ReportStatus.SUBMITTED, alice.administration_id)
    }
    assert ReportItem.objects.filter(report__in=reports).count() == 80
    assert AuditEvent.objects.filter(action="upload.commit", object_uuid=upload.uuid).count() == 1
    assert "check helper failed" not in worker.log()  # checked with the helper, not by the worker after it


def test_a_worker_killed_during_a_commit_leaves_nothing_and_the_sweep_has_it_written_once(
    alice, uploads_root, start_worker: Callable[..., CeleryWorker]
):
    writer = start_worker(RILO_UPLOADS_ROOT=str(uploads_root))
    with transaction.atomic():
        upload = send(alice, _file(200))
    checked = _state(upload, UploadState.CHECKED, writer)
    items_table = ReportItem._meta.db_table

    # Another session holds the items' table: the worker's commit writes the reports, then waits on it.
    with psycopg.connect(database_url_of_tests(), autocommit=False) as blocker:
        blocker.execute(f'LOCK TABLE "{items_table}" IN SHARE ROW EXCLUSIVE MODE')  # the table's name, from its model
        with transaction.atomic():
            upload_commit(upload=checked, actor=alice, submit=False)

        def waiting_after_writing() -> bool:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT activity.backend_xid IS NOT NULL FROM pg_locks AS locks"
                    " JOIN pg_stat_activity AS activity ON activity.pid = locks.pid"
                    " WHERE locks.relation = %s::regclass AND NOT locks.granted",
                    [items_table],
                )
                row = cursor.fetchone()
            return bool(row and row[0])

        wait_for(waiting_after_writing, timeout=WAIT, message="the commit did not reach the items' table")
        writer.kill()
        blocker.rollback()

    def worker_gone() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE relation = %s::regclass", [items_table])
            row = cursor.fetchone()
        return bool(row) and row[0] == 0

    wait_for(worker_gone, timeout=WAIT, message="the killed worker's transaction did not end")
    assert Upload.objects.get(pk=upload.pk).state == UploadState.COMMITTING
    assert not Report.objects.filter(national_reference__startswith="W-").exists()

    sweeper = start_worker(
        RILO_UPLOADS_ROOT=str(uploads_root), RILO_UPLOADS_KICK_GRACE_SECONDS="1", RILO_UPLOADS_SWEEP_SECONDS="0.5"
    )
    done = _state(upload, UploadState.COMMITTED, sweeper)

    assert done.attempts == 2 and done.new_reports == 200  # the killed start counted, and the one that wrote
    assert Report.objects.filter(national_reference__startswith="W-").count() == 200
    assert ReportItem.objects.filter(report__national_reference__startswith="W-").count() == 267
    assert AuditEvent.objects.filter(action="upload.commit", object_uuid=upload.uuid).count() == 1
