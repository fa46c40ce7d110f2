"""The worker's side of an upload's commit: write the reports the check kept, or the file checked again, in ONE
transaction (a worker killed half-way leaves nothing written).

A run first claims the upload in a short transaction under the commit's advisory lock, counting its start,
committed before anything is written: a commit started ``RILO_UPLOADS_MAX_ATTEMPTS`` times without finishing
fails. Its one writing transaction takes the lock again and goes on only while the upload is still that run's (the
sweep, which takes the same lock, leaves a held commit alone). Both locks are a transaction's, so they hold behind
a pooler of transactions too. Its progress is written on a connection of its own, visible at once; the final
write and a failure are written only for the run that started.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.core.collector import collector_paused
from apps.core.exceptions import ApplicationError
from apps.core.languages import language_of
from apps.reports.errors import paths_of

from .checked import Kept, checked_delete, checked_load
from .checking import check_file
from .choices import UploadState
from .messages import changed_message, error_message, gave_up_message, recounted_message
from .models import Upload
from .progress import CommitProgress, UploadAbandoned
from .services import UploadRefusedError, may_still_upload, outcome_store, upload_fail, upload_failed
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


def _commit_run(upload: Upload, upload_id: int) -> str:
    progress = CommitProgress(upload)
    try:
        claimed = _claimed(upload_id)
        if claimed is None:
            return "busy"
        upload, refused = claimed
        if refused:
            return refused
        progress.started(upload.started_at)
        return _written(upload, progress)
    finally:
        progress.close()


@transaction.atomic
def _claimed(upload_id: int) -> tuple[Upload, str] | None:
    """Under the commit's lock, for a moment: count this start among the upload's attempts, committed before
    anything is written (a worker killed from then on has used one), or refuse the run (another holds the lock:
    None; no longer committing, its committer no longer allowed, or started as often as allowed: the outcome)."""
    if not commit_hold(upload_id):
        return None
    upload = Upload.objects.select_related("committed_by").get(pk=upload_id)
    if upload.state != UploadState.COMMITTING:
        return upload, "not committing"
    refused = ""
    if not may_still_upload(upload.committed_by, upload):
        refused, message = "refused", _("The person who committed this upload may no longer add reports.")
    elif upload.attempts >= settings.RILO_UPLOADS_MAX_ATTEMPTS:  # its workers died as often: no more
        refused, message = "failed", gave_up_message(upload.attempts, upload_id=upload.pk)
    if refused:
        upload_fail(upload, message, from_state=upload.state, started_at=upload.started_at)
        return upload, refused
    upload.started_at = timezone.now()
    Upload.objects.filter(pk=upload.pk, state=UploadState.COMMITTING).update(
        attempts=F("attempts") + 1, started_at=upload.started_at, rows_written=0, heartbeat_at=upload.started_at
    )
    return upload, ""


def _written(upload: Upload, progress: CommitProgress) -> str:
    """The run's one transaction, under the commit's lock again: the reports written and the upload committed, or
    nothing (the run is no longer the upload's: another took the lock, or the sweep failed it, meanwhile)."""
    actor = upload.committed_by
    assert actor is not None  # noqa: S101 (the claim refused a run without one)
    try:
        with collector_paused(), transaction.atomic():
            mine = Upload.objects.filter(pk=upload.pk, state=UploadState.COMMITTING, started_at=upload.started_at)
            if not commit_hold(upload.pk) or not mine.exists():
                return "not committing"
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
    except Exception:  # nothing written: the transaction is rolled back
        upload_failed(upload, doing="committed", from_state=UploadState.COMMITTING, started_at=progress.started_at)
        return "failed"
