"""The worker's side of an upload's commit: write the reports the check kept, or the file checked again, in ONE
transaction (a worker killed half-way leaves nothing written).

The run holds an advisory lock on the upload for its session (the sweep, which takes the same key, leaves a held
commit alone), and counts its start, committed, before its transaction opens: a commit started
``RILO_UPLOADS_MAX_ATTEMPTS`` times without finishing fails. Its progress is written on a connection of its own,
visible at once; the final write and a failure are written only for the run that started.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.core.collector import collector_paused
from apps.core.exceptions import ApplicationError
from apps.core.languages import language_of
from apps.core.tasklog import failure_logged
from apps.reports.errors import paths_of

from .checked import Kept, checked_delete, checked_load
from .checking import check_file
from .choices import UploadState
from .messages import changed_message, error_message, gave_up_message, recounted_message, too_long_message
from .models import Upload
from .progress import CommitProgress, UploadAbandoned
from .services import UploadRefusedError, may_still_upload, outcome_store, upload_fail
from .sniffing import UploadRefused
from .storage import stored_path
from .writing import reports_write

logger = logging.getLogger(__name__)


def commit_hold(upload_id: int) -> bool:
    """Take the commit's advisory lock on the upload for this transaction (False if another holds it).

    PostgreSQL's advisory locks have no ORM form; the key is the upload table's name and the upload's id."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s), %s)", [Upload._meta.db_table, upload_id])
        row = cursor.fetchone()
    return bool(row and row[0])


def upload_commit_run(*, upload_id: int) -> str:
    """Write the upload's reports if its commit is asked for and no other worker holds it: the reports the check
    kept (or the file checked again, where they no longer hold) are written in one transaction with the upload
    marked committed. Problems found now (something changed since the check) put it back to checked with them,
    nothing written. Each start is counted: one started ``RILO_UPLOADS_MAX_ATTEMPTS`` times fails instead."""
    upload = Upload.objects.select_related("committed_by").filter(pk=upload_id).first()
    if upload is None or upload.state != UploadState.COMMITTING:
        return "not committing"
    # What the commit writes in words (its error, problems found again) in the language of the one who asked.
    with translation.override(language_of(upload.committed_by)):
        return _commit_run(upload, upload_id)


@contextmanager
def _commit_held(upload_id: int) -> Iterator[bool]:
    """The commit's advisory lock on the upload, held by this session for the whole run, its start counted and
    its transaction (False if another holds it). A worker that dies takes the lock with its connection.

    The same key as :func:`commit_hold`'s (the two conflict): PostgreSQL's advisory locks have no ORM form."""
    key: list[str | int] = [Upload._meta.db_table, upload_id]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s)", key)
        row = cursor.fetchone()
    held = bool(row and row[0])
    try:
        yield held
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(hashtext(%s), %s)", key)
            except DatabaseError:
                logger.warning("The commit's lock on upload %s went with its connection.", upload_id)


def _commit_run(upload: Upload, upload_id: int) -> str:
    progress = CommitProgress(upload)
    try:
        with _commit_held(upload_id) as held:
            if not held:
                return "busy"
            return _commit_held_run(upload_id, progress)
    finally:
        progress.close()


def _commit_held_run(upload_id: int, progress: CommitProgress) -> str:
    upload = Upload.objects.select_related("committed_by").get(pk=upload_id)
    if upload.state != UploadState.COMMITTING:
        return "not committing"
    actor = upload.committed_by
    if not may_still_upload(actor, upload):
        message = _("The person who committed this upload may no longer add reports.")
        upload_fail(upload, message, from_state=upload.state, started_at=upload.started_at)
        return "refused"
    if upload.attempts >= settings.RILO_UPLOADS_MAX_ATTEMPTS:  # its workers died as often: no more
        upload_fail(
            upload,
            gave_up_message(upload.attempts, upload_id=upload.pk),
            from_state=upload.state,
            started_at=upload.started_at,
        )
        return "failed"
    # The start counted, and committed, before anything is written: a worker killed from now on has used one.
    started = timezone.now()
    Upload.objects.filter(pk=upload.pk, state=UploadState.COMMITTING).update(
        attempts=F("attempts") + 1, started_at=started, rows_written=0, heartbeat_at=started
    )
    progress.started(started)
    try:
        with collector_paused(), transaction.atomic():
            # Never an UPDATE of the upload's row in this transaction before the reports are written: the
            # progress is written to that row on another connection, which would wait for this one.
            kept = checked_load(file_name=upload.file_name, actor=actor, submit=upload.submit_for_review)
            rows = upload.rows_read
            if kept is None:  # something changed since the check (or it was not kept): check the file again
                outcome = check_file(
                    path=stored_path(upload.file_name),
                    file_format=upload.format,
                    encoding=upload.encoding or None,
                    variant=upload.variant,
                    actor=actor,
                    progress=progress.checking,
                    submit=upload.submit_for_review,
                )
                # Errors now, or other reports to create and update than the officer confirmed: back to them.
                confirmed = (upload.new_reports, upload.drafts_updated)
                if outcome.has_errors or (outcome.new_reports, outcome.drafts_updated) != confirmed:
                    checked_delete(upload.file_name)
                    if not outcome_store(
                        upload, outcome, from_state=UploadState.COMMITTING, started_at=progress.started_at
                    ):
                        raise UploadAbandoned(str(upload.uuid))  # no longer this run's
                    message = changed_message() if outcome.has_errors else recounted_message()
                    Upload.objects.filter(pk=upload.pk).update(error=message)
                    return "changed"
                kept = Kept(outcome.reports, outcome.outline)
                rows = outcome.rows_read
            total = kept.outline.count
            result = reports_write(
                actor=actor,
                reports=kept.reports,
                submit=upload.submit_for_review,
                progress=lambda written: progress.writing(written, total, rows),
                outline=kept.outline,
            )
            now = timezone.now()
            finished = Upload.objects.filter(
                pk=upload.pk, state=UploadState.COMMITTING, started_at=progress.started_at
            ).update(
                state=UploadState.COMMITTED,
                rows_written=rows,
                new_reports=result.created,
                drafts_updated=result.updated,
                committed_at=now,
                finished_at=now,
                heartbeat_at=now,
            )
            if not finished:
                raise UploadAbandoned(str(upload.uuid))  # no longer this run's: nothing of it is written
            name = upload.file_name
            transaction.on_commit(lambda: checked_delete(name))  # written: the kept reports are spent
            audit_record(
                actor=actor,
                action="upload.commit",
                obj=upload,
                detail={
                    "created": result.created,
                    "updated": result.updated,
                    "submitted": upload.submit_for_review,
                    "rows": rows,
                },
            )
        return "committed"
    except UploadAbandoned:
        return "abandoned"
    except (UploadRefusedError, UploadRefused) as refusal:
        upload_fail(upload, refusal.message, from_state=UploadState.COMMITTING, started_at=progress.started_at)
        return "refused"
    except SoftTimeLimitExceeded:  # nothing written: the transaction is rolled back
        if not connection.is_usable():  # stopped halfway through a statement: a new connection says so
            connection.close()
        upload_fail(upload, too_long_message(), from_state=UploadState.COMMITTING, started_at=progress.started_at)
        return "failed"
    except (ValidationError, ApplicationError) as error:
        # A rule of the writer (a reference taken meanwhile, a report incomplete for review): nothing written.
        texts = (
            [text for messages in paths_of(error).values() for text in messages]
            if isinstance(error, ValidationError)
            else [error.message]
        )
        message = " ".join(texts) or error_message()
        upload_fail(upload, message, from_state=UploadState.COMMITTING, started_at=progress.started_at)
        return "refused"
    except Exception:
        failure_logged(logger, "Upload %s could not be committed", upload.uuid)
        upload_fail(upload, error_message(), from_state=UploadState.COMMITTING, started_at=progress.started_at)
        return "failed"
