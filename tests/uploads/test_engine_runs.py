"""Which worker's run an upload belongs to: a check or a commit the sweep gave to another worker can no longer
store or fail it; a commit counts its own starts (one waiting for a worker is never counted); the purge never
takes the file of an upload a worker reads."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from pathlib import Path

import psycopg
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db.models import F
from django.utils import timezone

from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from apps.uploads import services
from apps.uploads.choices import UploadState
from apps.uploads.committing import upload_commit_run
from apps.uploads.housekeeping import upload_purge_expired, upload_sweep
from apps.uploads.models import Upload
from apps.uploads.progress import CheckProgress, UploadAbandoned
from apps.uploads.services import upload_check, upload_commit
from apps.uploads.storage import stored_path
from tests.builders import build_report, vocabulary
from tests.exchange.test_faults import database_url_of_tests

from .engine import csv_bytes, csv_row, send, written

pytestmark = pytest.mark.django_db

GOOD = csv_bytes(csv_row("RUN-1"), csv_row("RUN-2", seizure_date="2025-03-20"))


@pytest.fixture(autouse=True)
def uploads_root(settings, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()
    return Path(settings.RILO_UPLOADS_ROOT)


def _asked_long_ago(upload: Upload) -> None:
    """As if the last request for the upload's commit was sent an hour ago (past the sweep's grace)."""
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    Upload.objects.filter(pk=upload.pk).update(kicked_at=hour_ago)


def _commit_asked(actor) -> Upload:
    upload = send(actor, GOOD)
    assert upload_check(upload_id=upload.pk) == "checked"
    return upload_commit(upload=Upload.objects.get(pk=upload.pk), actor=actor, submit=False)


def _started_and_died(upload: Upload) -> None:
    """A worker starts the commit, its start counted as the commit counts it, and is killed: its transaction, and
    the lock it held, go with it (a real worker killed so: tests/uploads/test_worker.py). Started after it was
    last asked for; the sweep looks once its grace has passed."""
    Upload.objects.filter(pk=upload.pk).update(
        attempts=F("attempts") + 1,
        kicked_at=timezone.now() - dt.timedelta(hours=2),
        started_at=timezone.now() - dt.timedelta(hours=1),
    )


# --- commits -------------------------------------------------------------------------------------------------


def test_a_commit_waiting_for_a_worker_is_asked_for_again_and_never_counted_as_stopped(alice, settings):
    settings.RILO_UPLOADS_MAX_ATTEMPTS = 2
    upload = _commit_asked(alice)
    before = written()

    for _ in range(4):  # twice the attempts allowed: no worker has taken it, none has stopped
        _asked_long_ago(upload)
        assert upload_sweep()["kicked"] == 1

    upload.refresh_from_db()
    assert (upload.state, upload.attempts, upload.error) == (UploadState.COMMITTING, 0, "")
    assert written()["reports"] == before["reports"]
    assert upload_commit_run(upload_id=upload.pk) == "committed"
    assert Report.objects.filter(national_reference__in=["RUN-1", "RUN-2"]).count() == 2


def test_a_commit_whose_workers_died_is_started_again_then_fails_saying_so(alice, settings):
    settings.RILO_UPLOADS_MAX_ATTEMPTS = 2
    upload = _commit_asked(alice)
    before = written()

    _started_and_died(upload)
    assert upload_sweep()["restarted"] == 1
    upload.refresh_from_db()
    assert (upload.state, upload.attempts) == (UploadState.COMMITTING, 1)

    _started_and_died(upload)
    assert upload_sweep()["failed"] == 1

    upload.refresh_from_db()
    assert upload.state == UploadState.FAILED and "stopped 2 times" in upload.error
    assert written() == {**before, "uploads": written()["uploads"]}  # nothing of the commit written
    assert upload_commit_run(upload_id=upload.pk) == "not committing"


def test_a_commit_delivered_again_after_its_worker_died_as_often_as_allowed_fails_and_writes_nothing(alice, settings):
    # The broker hands a task whose worker was killed to another worker at once, before any sweep: the commit
    # itself counts its starts.
    settings.RILO_UPLOADS_MAX_ATTEMPTS = 2
    upload = _commit_asked(alice)
    _started_and_died(upload)
    _started_and_died(upload)
    before = written()

    assert upload_commit_run(upload_id=upload.pk) == "failed"

    upload.refresh_from_db()
    assert upload.state == UploadState.FAILED and "stopped 2 times" in upload.error
    assert written()["reports"] == before["reports"] and not Report.objects.filter(national_reference="RUN-1")


def test_a_commit_counts_its_start_and_writes_once(alice):
    upload = _commit_asked(alice)

    assert upload_commit_run(upload_id=upload.pk) == "committed"
    assert upload_commit_run(upload_id=upload.pk) == "not committing"  # delivered twice: written once

    upload.refresh_from_db()
    assert (upload.state, upload.attempts) == (UploadState.COMMITTED, 1)
    assert Report.objects.filter(national_reference__in=["RUN-1", "RUN-2"]).count() == 2


# --- checks --------------------------------------------------------------------------------------------------


def test_a_check_given_to_another_worker_can_neither_beat_nor_store_nor_fail(alice, settings):
    upload = send(alice, GOOD)
    # Worker A claims the check, goes silent; the sweep gives it to worker B, who claims it in turn.
    claimed = timezone.now() - dt.timedelta(hours=1)
    Upload.objects.filter(pk=upload.pk).update(state=UploadState.CHECKING, started_at=claimed, heartbeat_at=claimed)
    stale = Upload.objects.get(pk=upload.pk)
    assert upload_sweep()["restarted"] == 1
    assert Upload.objects.filter(pk=upload.pk, state=UploadState.QUEUED).update(
        state=UploadState.CHECKING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )

    with pytest.raises(UploadAbandoned):
        CheckProgress(stale)(settings.RILO_UPLOADS_PROGRESS_ROWS, 0)
    assert services._check(stale) == "abandoned"  # A's whole check: its outcome is not B's to store
    services.upload_fail(stale, "A's failure", from_state=UploadState.CHECKING, started_at=stale.started_at)

    upload.refresh_from_db()
    assert (upload.state, upload.error, upload.new_reports, upload.rows_read) == (UploadState.CHECKING, "", 0, 0)
    assert not upload.problems.exists()


# --- purge ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [UploadState.QUEUED, UploadState.CHECKING, UploadState.COMMITTING])
def test_the_purge_leaves_the_file_of_an_upload_a_worker_is_to_read(alice, state, django_capture_on_commit_callbacks):
    upload = send(alice, GOOD)
    Upload.objects.filter(pk=upload.pk).update(state=state, expires_at=timezone.now() - dt.timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert upload_purge_expired()["files"] == 0

    upload.refresh_from_db()
    assert upload.file_name and stored_path(upload.file_name).exists()


def test_the_purge_deletes_the_file_only_once_its_upload_says_so(alice, django_capture_on_commit_callbacks):
    upload = send(alice, GOOD)
    assert upload_check(upload_id=upload.pk) == "checked"
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    path = stored_path(upload.file_name)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert upload_purge_expired()["files"] == 1
    assert path.exists()  # not before the upload's row says it is gone
    for callback in callbacks:
        callback()

    upload.refresh_from_db()
    assert not path.exists() and upload.file_name == "" and not upload.may_commit


def test_a_checked_upload_whose_file_is_purged_is_not_offered_for_commit(alice):
    upload = send(alice, GOOD)
    assert upload_check(upload_id=upload.pk) == "checked"
    upload.refresh_from_db()
    assert upload.may_commit

    Upload.objects.filter(pk=upload.pk).update(file_name="")
    upload.refresh_from_db()

    assert not upload.may_commit and "no longer kept" in upload.state_label


# --- what the commit writes is what was confirmed --------------------------------------------------------------


def test_a_report_recorded_since_the_check_under_a_new_reference_is_not_overwritten_unconfirmed(alice):
    upload = send(alice, GOOD)
    assert upload_check(upload_id=upload.pk) == "checked"
    upload = upload_commit(upload=Upload.objects.get(pk=upload.pk), actor=alice, submit=False)
    # A colleague records a draft under one of the file's references between the check and the commit.
    draft = build_report(by=alice, reference="RUN-1", status=ReportStatus.DRAFT, place="Typed by a colleague")
    before = written()

    assert upload_commit_run(upload_id=upload.pk) == "changed"

    upload.refresh_from_db()
    assert (upload.state, upload.new_reports, upload.drafts_updated) == (UploadState.CHECKED, 1, 1)
    assert "Look at the new counts" in upload.error and upload.may_commit
    assert written()["reports"] == before["reports"]  # the colleague's draft untouched, nothing created
    draft.refresh_from_db()
    assert draft.place == "Typed by a colleague"

    # Confirmed again, with the counts in view: written.
    upload_commit(upload=upload, actor=alice, submit=False)
    assert upload_commit_run(upload_id=upload.pk) == "committed"
    assert Report.objects.filter(national_reference__in=["RUN-1", "RUN-2"]).count() == 2


# --- the time a worker may spend -------------------------------------------------------------------------------


@pytest.fixture
def soft_time_limit():
    """Celery's soft time limit as its pool enforces it: SIGUSR1 sent to the process running the task, whose
    handler raises SoftTimeLimitExceeded wherever the task is then; ``after(seconds)`` arms it."""
    previous = signal.getsignal(signal.SIGUSR1)

    def raised(_signum, _frame):
        raise SoftTimeLimitExceeded()

    signal.signal(signal.SIGUSR1, raised)
    timers: list[threading.Timer] = []

    def after(seconds: float) -> None:
        timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGUSR1))
        timers.append(timer)
        timer.start()

    yield after
    for timer in timers:
        timer.cancel()
        timer.join()  # one already firing has sent its signal, to the handler still in place
    signal.signal(signal.SIGUSR1, previous)


@pytest.mark.django_db(transaction=True)  # as in a worker: stopped mid-statement, the connection is dropped
def test_a_check_stopped_by_the_time_limit_fails_saying_to_split_the_file(alice, settings, soft_time_limit):
    settings.RILO_UPLOADS_CHECK_HELPER = False  # one process: the signal reaches the one checking
    upload = send(alice, csv_bytes(*(csv_row(f"SLOW-{n:05d}") for n in range(20_000))))
    before = written()

    soft_time_limit(0.5)  # far less than 20,000 reports take to check
    assert upload_check(upload_id=upload.pk) == "failed"

    upload.refresh_from_db()
    assert upload.state == UploadState.FAILED
    assert "took longer than" in upload.error and "Split the file into smaller files" in upload.error
    assert written() == {**before, "uploads": written()["uploads"]} and not upload.problems.exists()


@pytest.mark.django_db(transaction=True)  # as in a worker: stopped halfway through a COPY, the connection is dropped
def test_a_commit_stopped_by_the_time_limit_fails_and_writes_nothing(alice, settings, soft_time_limit):
    upload = send(alice, csv_bytes(*(csv_row(f"SLOW-{n:05d}") for n in range(20_000))))
    assert upload_check(upload_id=upload.pk) == "checked"
    upload = upload_commit(upload=Upload.objects.get(pk=upload.pk), actor=alice, submit=False)
    before = written()

    soft_time_limit(0.5)  # far less than 20,000 reports take to write
    assert upload_commit_run(upload_id=upload.pk) == "failed"

    upload.refresh_from_db()
    assert upload.state == UploadState.FAILED and "took longer than" in upload.error
    assert written()["reports"] == before["reports"] and written()["items"] == before["items"]


def test_a_commit_whose_lock_another_session_holds_is_left_alone_by_workers_and_sweep(alice):
    upload = _commit_asked(alice)
    _asked_long_ago(upload)
    with psycopg.connect(database_url_of_tests(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtext(%s), %s)", [Upload._meta.db_table, upload.pk])

        assert upload_commit_run(upload_id=upload.pk) == "busy"
        assert upload_sweep()["busy"] == 1

        upload.refresh_from_db()
        assert (upload.state, upload.attempts) == (UploadState.COMMITTING, 0)  # not started: not counted
    assert upload_commit_run(upload_id=upload.pk) == "committed"  # the session gone, its lock with it
