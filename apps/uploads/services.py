"""Writes of uploads: receive one, check it in a worker, ask for its commit (the worker's side of which is
:mod:`apps.uploads.committing`), cancel, restart.

The check is claimed with a conditional ``UPDATE … WHERE state = queued`` (once only, without locks); the time
of that claim (``started_at``) names the run, so a check the sweep gave to another worker can neither beat, nor
store, nor fail. It writes nothing but the upload's own rows (problems, counts, preview), all at once at its end.
The sweep (:mod:`apps.uploads.housekeeping`) starts again a check whose worker stopped beating, up to
``RILO_UPLOADS_MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Iterable
from functools import partial
from typing import Any, cast

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.collector import collector_paused
from apps.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied
from apps.core.kicks import task_kick
from apps.core.languages import language_of
from apps.core.tasklog import causes, failure_logged
from apps.reports.choices import FormVariant
from apps.reports.validation import shortened

from . import task_names
from .cells import storable
from .checked import checked_delete, checked_store
from .checking import check_file
from .choices import CANCELLABLE_STATES, RESTARTABLE_STATES, ProblemKind, UploadState
from .copying import Table
from .messages import STORED_MESSAGE_LENGTH, error_message, too_large_message, too_long_message
from .models import Upload, UploadProblem
from .outcome import CheckOutcome
from .problems import Problem
from .progress import CheckProgress, UploadAbandoned
from .querysets import may_upload
from .reading_csv import ENCODING_NAMES, encoding_refused_message
from .sniffing import UploadRefused, inspect_upload
from .storage import Received, TooLarge, keep, receive, stored_path

logger = logging.getLogger(__name__)


class UploadRefusedError(ApplicationError):
    """The file cannot be taken (too large, not what its name says, a macro workbook…); nothing was kept. Its
    ``extra`` names the field at fault as every field error does (``{"file": ["message"]}``)."""

    code = "upload_refused"


class UploadTooLarge(UploadRefusedError):
    """The file passed ``RILO_UPLOAD_MAX_BYTES`` (HTTP 413); nothing was kept."""

    status = 413
    code = "upload_too_large"


# --- messages ------------------------------------------------------------------------------------------------


def upload_too_large_message() -> str:
    """What the sender is told of a file past ``RILO_UPLOAD_MAX_BYTES``."""
    return too_large_message(upload_max_bytes())


# --- receiving -----------------------------------------------------------------------------------------------


def upload_max_bytes() -> int:
    """The size limit of an uploaded file (``RILO_UPLOAD_MAX_BYTES``)."""
    return int(settings.RILO_UPLOAD_MAX_BYTES)


def _chunks(file: Any) -> Iterable[bytes]:
    if hasattr(file, "chunks"):
        yield from file.chunks()
        return
    while chunk := file.read(64 * 1024):
        yield chunk


def upload_create(
    *, actor: Actor, file: Any, name: str, encoding: str | None = None, variant: str = FormVariant.FULL
) -> Upload:
    """Keep the file ``actor`` sends (a Django ``File`` or any binary file object) as an upload of their
    administration, and ask a worker to check it once the transaction commits.

    The file is written to disk as it is read, and refused (:class:`UploadRefusedError`, nothing kept) as soon
    as it passes ``RILO_UPLOAD_MAX_BYTES``, or when its content is not what an upload may be (by content, not
    by name: a workbook with macros, a zip bomb, an image called ``.csv``, an empty file). ``encoding`` is the
    CSV encoding the sender chose, one of :data:`~apps.uploads.reading_csv.ENCODINGS` ("" or None: detected);
    ``variant`` the form variant of the template.
    """
    handed = getattr(file, "received", None)  # already on disk (LimitedUploadHandler): not copied again
    try:
        return _create(actor=actor, file=file, handed=handed, name=name, encoding=encoding, variant=variant)
    finally:
        if isinstance(handed, Received):
            handed.path.unlink(missing_ok=True)  # moved into place, or refused: nothing else is kept


def _create(*, actor: Actor, file: Any, handed: Any, name: str, encoding: str | None, variant: str) -> Upload:
    if not may_upload(actor):
        raise PermissionDenied(_("You may not upload reports."))
    if variant not in FormVariant.values:
        message = _("Choose the simplified or the full form.")
        raise UploadRefusedError(message, extra={"variant": [message]})
    # Kept as chosen (the codec the check reads with is kept apart, as detected_encoding): the commit's second
    # check and a restart read the file with the same choice, hence the same codec.
    encoding = (encoding or "").strip() or None
    if encoding is not None and encoding not in ENCODING_NAMES:
        message = encoding_refused_message(encoding)
        raise UploadRefusedError(message, extra={"encoding": [message]})
    limit = upload_max_bytes()
    received = handed
    if not isinstance(received, Received) or received.size > limit:
        try:
            received = receive(_chunks(file), limit=limit)
        except TooLarge:
            message = too_large_message(limit)
            raise UploadTooLarge(message, extra={"file": [message]}) from None
    try:
        file_format = _inspect(received.path, name=name)
        with transaction.atomic():
            upload = Upload.objects.create(
                administration_id=cast(int, actor.administration_id),  # may_upload() says it has one
                uploaded_by_id=actor.pk,
                original_name=(name or "")[:255],
                size=received.size,
                sha256=received.sha256,
                format=file_format,
                encoding=encoding or "",
                variant=variant,
                expires_at=timezone.now() + dt.timedelta(days=settings.RILO_UPLOADS_KEEP_DAYS),
            )
            upload.file_name = f"{upload.uuid}.{file_format}"
            upload.save(update_fields=["file_name"])
            keep(received.path, name=upload.file_name)
            audit_record(
                actor=actor,
                action="upload.create",
                obj=upload,
                detail={"format": file_format, "size": received.size, "variant": variant},
            )
            transaction.on_commit(lambda: upload_kick(upload=upload))
    finally:
        received.path.unlink(missing_ok=True)  # refused, or failed before the move: nothing is kept
    return upload


def _inspect(path: Any, *, name: str) -> str:
    """The file's format by its content ("xlsx" or "csv"), else :class:`UploadRefusedError`."""
    try:
        return inspect_upload(path, name=name)
    except UploadRefused as refusal:
        raise UploadRefusedError(refusal.message, extra={"file": [refusal.message]}) from None


def upload_kick(*, upload: Upload) -> None:
    """Ask a worker for what the upload waits for (its check or its commit): an optimisation, the sweep asks
    again for an upload left waiting."""
    if upload.state == UploadState.QUEUED:
        task_kick(task_names.CHECK, upload.pk, fallback="the uploads sweep will start it")
    elif upload.state == UploadState.COMMITTING:
        task_kick(task_names.COMMIT, upload.pk, fallback="the uploads sweep will start it")


# --- checking ------------------------------------------------------------------------------------------------


def _store_problems(upload: Upload, problems: Iterable[Problem]) -> None:
    """The problems as rows of the upload, by COPY (a file wrong on many rows, or with many possible duplicates,
    gives tens of thousands: about 1.5 s through the ORM's bulk_create for 10,000, 0.2 s so)."""
    table = Table(UploadProblem, with_pk=False)
    rows = (
        table.row(
            {
                "upload_id": upload.pk,
                "kind": problem.kind,
                "sheet": storable(problem.sheet)[:64],
                "row": problem.row,
                "column": storable(problem.column)[:128],
                "field": storable(problem.field)[:64],
                "national_reference": storable(problem.national_reference)[:64],
                "message": shortened(storable(problem.message), STORED_MESSAGE_LENGTH),
                "personal": problem.personal,
            }
        )
        for problem in problems
    )
    with connection.cursor() as cursor, connection.wrap_database_errors:
        table.copy(cursor.cursor, rows)


def _outcome_values(outcome: CheckOutcome) -> dict[str, Any]:
    return {
        "rows_read": outcome.rows_read,
        "rows_checked": outcome.rows_read,
        "rows_total": outcome.rows_read,
        "new_reports": outcome.new_reports,
        "drafts_updated": outcome.drafts_updated,
        "rows_with_errors": outcome.rows_with_errors,
        "duplicate_candidates": outcome.duplicate_candidates,
        "preview": outcome.preview,
        "detected_encoding": outcome.encoding,
        "separator": outcome.separator,
    }


def outcome_store(upload: Upload, outcome: CheckOutcome, *, from_state: str, started_at: dt.datetime | None) -> bool:
    """Replace the upload's problems and counts with ``outcome`` and mark it checked, if it is still in
    ``from_state`` for the run started at ``started_at`` (this worker's); in the caller's transaction."""
    now = timezone.now()
    stored = Upload.objects.filter(pk=upload.pk, state=from_state, started_at=started_at).update(
        state=UploadState.CHECKED, checked_at=now, heartbeat_at=now, **_outcome_values(outcome)
    )
    if stored:
        UploadProblem.objects.filter(upload=upload).delete()
        # Errors first, then possible duplicates, up to RILO_UPLOADS_MAX_PROBLEMS: a file wrong on every row is
        # corrected from the first ones (the counts stay whole).
        kept = sorted(outcome.problems, key=lambda problem: problem.kind != ProblemKind.ERROR)
        _store_problems(upload, kept[: settings.RILO_UPLOADS_MAX_PROBLEMS])
    return bool(stored)


def upload_check(*, upload_id: int) -> str:
    """Read and check the upload if it is still waiting: its problems, counts and preview are stored at once at
    the end (nothing else is written). A file that cannot be read fails the upload with words for its sender."""
    now = timezone.now()
    claimed = Upload.objects.filter(pk=upload_id, state=UploadState.QUEUED).update(
        state=UploadState.CHECKING, started_at=now, heartbeat_at=now, rows_read=0, rows_checked=0, error=""
    )
    if not claimed:
        return "not queued"
    upload = Upload.objects.select_related("uploaded_by").get(pk=upload_id)
    # The problems are stored as sentences: written in the language of the person who reads them.
    with translation.override(language_of(upload.uploaded_by)):
        return _check(upload)


def _check(upload: Upload) -> str:
    run = upload.started_at  # this check's
    if not may_still_upload(upload.uploaded_by, upload):
        upload_fail(
            upload,
            _("The person who sent this upload may no longer add reports."),
            from_state=UploadState.CHECKING,
            started_at=run,
        )
        return "refused"
    progress = CheckProgress(upload)
    try:
        with collector_paused():
            outcome = check_file(
                path=stored_path(upload.file_name),
                file_format=upload.format,
                encoding=upload.encoding or None,
                variant=upload.variant,
                actor=upload.uploaded_by,
                progress=progress,
            )
            if not outcome.has_errors:
                checked_store(  # for the commit
                    file_name=upload.file_name, reports=outcome.reports, outline=outcome.outline, terms=outcome.terms
                )
        with transaction.atomic():
            if not outcome_store(upload, outcome, from_state=UploadState.CHECKING, started_at=run):
                raise UploadAbandoned(str(upload.uuid))
        return "checked"
    except UploadAbandoned:
        return "abandoned"
    except (UploadRefusedError, UploadRefused) as refusal:
        upload_fail(upload, refusal.message, from_state=UploadState.CHECKING, started_at=run)
        return "refused"
    except Exception:
        upload_failed(upload, doing="checked", from_state=UploadState.CHECKING, started_at=run)
        return "failed"


def may_still_upload(actor: Actor | None, upload: Upload) -> bool:
    """Whether ``actor`` may still add reports for ``upload``'s administration (active, allowed, not moved)."""
    return bool(actor and actor.is_active and may_upload(actor) and actor.administration_id == upload.administration_id)


def upload_failed(upload: Upload, *, doing: str, from_state: str, started_at: dt.datetime | None) -> None:
    """Fail the upload's run for the exception being handled: past Celery's soft time limit (wherever it stopped
    the run, whatever a library raised then), saying to split the file; else logged (:func:`failure_logged`), an
    error on our side. A connection left halfway through a statement is replaced first."""
    if not connection.is_usable():
        connection.close()
    if any(isinstance(cause, SoftTimeLimitExceeded) for cause in causes(sys.exc_info()[1])):
        message = too_long_message()
    else:
        failure_logged(logger, "Upload %s could not be %s", upload.uuid, doing)
        message = error_message()
    upload_fail(upload, message, from_state=from_state, started_at=started_at)


def upload_fail(upload: Upload, message: str, *, from_state: str, started_at: dt.datetime | None) -> None:
    """Fail the upload with ``message`` if it is still in ``from_state`` for the run started at ``started_at``:
    never a run that took its place."""
    Upload.objects.filter(pk=upload.pk, state=from_state, started_at=started_at).update(
        state=UploadState.FAILED, error=message, finished_at=timezone.now()
    )


# --- committing ----------------------------------------------------------------------------------------------


def _locked(*, upload: Upload, actor: Actor, action: str) -> Upload:
    """The upload's row locked for this transaction, if ``actor`` may ``action`` it (else NotFound: another
    administration's upload does not exist for them)."""
    found = Upload.objects.restrict(actor, action).select_for_update().filter(pk=upload.pk).first()
    if found is None:
        raise NotFound(_("Upload not found."))
    return found


@transaction.atomic
def upload_commit(*, upload: Upload, actor: Actor, submit: bool) -> Upload:
    """Ask a worker to write the checked upload's reports (as drafts, or submitted for review when ``submit``),
    all in one transaction. Only an upload checked without errors, with something to write, may be committed."""
    locked = _locked(upload=upload, actor=actor, action="change")
    if submit and not actor.has_perm("reports.submit_report"):
        raise PermissionDenied(_("You may not submit reports for review: commit them as drafts."))
    if locked.state != UploadState.CHECKED:
        raise Conflict(
            _("This upload is “%(state)s”: only a checked upload can be committed.")
            % {"state": locked.get_state_display()},
            extra={"state": locked.state},
        )
    if locked.rows_with_errors:
        raise Conflict(_("This upload has errors: correct the file and upload it again."), code="upload_has_errors")
    if not (locked.new_reports or locked.drafts_updated):
        raise Conflict(_("This upload has no report to write."), code="upload_empty")
    if not locked.file_name:
        raise Conflict(_("The uploaded file is no longer kept: upload it again."), code="upload_purged")
    locked.state = UploadState.COMMITTING
    locked.submit_for_review = submit
    locked.committed_by_id = actor.pk
    locked.rows_written = 0
    locked.attempts, locked.started_at = 0, None  # the commit's own starts, counted (and timed) as each starts
    locked.kicked_at = timezone.now()  # the request below is the first ask: the sweep asks again after a grace
    locked.error = ""
    locked.save(
        update_fields=[
            "state",
            "submit_for_review",
            "committed_by",
            "rows_written",
            "attempts",
            "started_at",
            "kicked_at",
            "error",
        ]
    )
    transaction.on_commit(lambda: upload_kick(upload=locked))
    return locked


# --- the sender's other actions ------------------------------------------------------------------------------


@transaction.atomic
def upload_cancel(*, upload: Upload, actor: Actor) -> Upload:
    """Cancel an upload before its commit starts: nothing of it is ever written; its file is deleted."""
    locked = _locked(upload=upload, actor=actor, action="change")
    if locked.state not in CANCELLABLE_STATES:
        raise Conflict(
            _("This upload is “%(state)s”: it can no longer be cancelled.") % {"state": locked.get_state_display()},
            extra={"state": locked.state},
        )
    now = timezone.now()
    name = locked.file_name
    locked.state, locked.finished_at, locked.file_name, locked.file_purged_at = UploadState.CANCELLED, now, "", now
    locked.preview = []  # the preview and the problems quote the file's cells: they go with it
    locked.save(update_fields=["state", "finished_at", "file_name", "file_purged_at", "preview"])
    UploadProblem.objects.filter(upload=locked).delete()
    audit_record(actor=actor, action="upload.cancel", obj=locked, detail={})
    if name:
        transaction.on_commit(partial(upload_files_delete, name))
    return locked


def upload_files_delete(name: str) -> None:
    """Delete an upload's stored file and the reports its check kept."""
    stored_path(name).unlink(missing_ok=True)
    checked_delete(name)


@transaction.atomic
def upload_restart(*, upload: Upload, actor: Actor) -> Upload:
    """Check a failed upload again from its stored file (its problems and counts start afresh)."""
    locked = _locked(upload=upload, actor=actor, action="change")
    if locked.state not in RESTARTABLE_STATES:
        raise Conflict(
            _("This upload is “%(state)s”: only a failed upload can be started again.")
            % {"state": locked.get_state_display()},
            extra={"state": locked.state},
        )
    if not locked.file_name:
        raise Conflict(_("The uploaded file is no longer kept: upload it again."), code="upload_purged")
    UploadProblem.objects.filter(upload=locked).delete()
    Upload.objects.filter(pk=locked.pk).update(
        state=UploadState.QUEUED,
        attempts=0,
        error="",
        rows_read=0,
        rows_checked=0,
        rows_written=0,
        rows_total=None,
        new_reports=0,
        drafts_updated=0,
        rows_with_errors=0,
        duplicate_candidates=0,
        preview=[],
        kicked_at=None,
        finished_at=None,
    )
    locked.refresh_from_db()
    audit_record(actor=actor, action="upload.restart", obj=locked, detail={})
    transaction.on_commit(lambda: upload_kick(upload=locked))
    return locked
