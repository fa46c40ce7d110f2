"""The uploads' housekeeping, run by the beat: checks and commits whose worker died started again (or failed,
past the attempts allowed), uploads left waiting asked for again, and stored files past their retention purged."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.kicks import task_kick

from . import task_names
from .checked import SUFFIX as CHECKED_SUFFIX
from .choices import WORKING_STATES, UploadState
from .committing import commit_hold
from .messages import gave_up_message
from .models import Upload, UploadProblem
from .services import upload_files_delete
from .storage import uploads_root


def upload_sweep() -> dict[str, int]:
    """Start again the checks whose worker stopped beating and the commits no worker holds (their transaction
    died with their worker: nothing of them was written), up to ``RILO_UPLOADS_MAX_ATTEMPTS`` times, then fail
    them saying so; ask a worker again for uploads waiting longer than ``RILO_UPLOADS_KICK_GRACE_SECONDS``."""
    now = timezone.now()
    limit = settings.RILO_UPLOADS_MAX_ATTEMPTS
    silent_since = now - dt.timedelta(seconds=settings.RILO_UPLOADS_HEARTBEAT_TIMEOUT)
    waiting_since = now - dt.timedelta(seconds=settings.RILO_UPLOADS_KICK_GRACE_SECONDS)
    counts = {"restarted": 0, "failed": 0, "kicked": 0, "busy": 0}
    stalled_checks = Upload.objects.filter(state=UploadState.CHECKING, heartbeat_at__lt=silent_since)
    for upload in stalled_checks.only("pk", "attempts"):
        if upload.attempts + 1 >= limit:
            counts["failed"] += stalled_checks.filter(pk=upload.pk, attempts=upload.attempts).update(
                state=UploadState.FAILED,
                error=gave_up_message(upload.attempts + 1, upload_id=upload.pk),
                finished_at=now,
            )
            continue
        if stalled_checks.filter(pk=upload.pk, attempts=upload.attempts).update(
            state=UploadState.QUEUED, attempts=F("attempts") + 1, kicked_at=now
        ):
            task_kick(task_names.CHECK, upload.pk, fallback="the next sweep will ask again")
            counts["restarted"] += 1
    due = Q(kicked_at__isnull=True) | Q(kicked_at__lt=waiting_since)
    for upload_id in Upload.objects.filter(due, state=UploadState.COMMITTING).values_list("pk", flat=True):
        counts[_sweep_commit(upload_id, now=now, due=due, limit=limit)] += 1
    for upload_id in Upload.objects.filter(due, state=UploadState.QUEUED, created_at__lt=waiting_since).values_list(
        "pk", flat=True
    ):
        if Upload.objects.filter(due, pk=upload_id, state=UploadState.QUEUED).update(kicked_at=now):
            task_kick(task_names.CHECK, upload_id, fallback="the next sweep will ask again")
            counts["kicked"] += 1
    return counts


def _sweep_commit(upload_id: int, *, now: dt.datetime, due: Q, limit: int) -> str:
    """Ask a worker again for a commit no worker holds. The commit counts its own starts: one still waiting for a
    worker is only asked for again; one started ``limit`` times whose worker is gone fails."""
    with transaction.atomic():
        if not commit_hold(upload_id):
            return "busy"  # a worker is writing it
        upload = Upload.objects.filter(due, pk=upload_id, state=UploadState.COMMITTING).first()
        if upload is None:
            return "busy"
        # Started since it was last asked for, and no longer held: its worker died with its transaction.
        died = upload.started_at is not None and upload.kicked_at is not None and upload.started_at >= upload.kicked_at
        if died and upload.attempts >= limit:
            Upload.objects.filter(pk=upload_id, started_at=upload.started_at).update(
                state=UploadState.FAILED,
                error=gave_up_message(upload.attempts, upload_id=upload_id),
                finished_at=now,
            )
            return "failed"
        Upload.objects.filter(pk=upload_id).update(kicked_at=now)
    task_kick(task_names.COMMIT, upload_id, fallback="the next sweep will ask again")
    return "restarted" if died else "kicked"


def upload_purge_expired() -> dict[str, int]:
    """Delete the stored files of uploads past their retention (``expires_at``), with their preview and
    problems (they quote the file's cells); the uploads stay listed with their counts. Also deletes files no
    upload names (a transaction that failed after the file was moved into place), once an hour old."""
    now = timezone.now()
    files = 0
    # Whatever still quotes the file: the file itself, a preview or problem rows (kept by a purge or a cancel
    # of an older version).
    remains = (
        Q(file_purged_at__isnull=True) | ~Q(preview=[]) | Q(Exists(UploadProblem.objects.filter(upload=OuterRef("pk"))))
    )
    # Never the file of an upload a worker is about to read or reading: the state is tested again in the
    # UPDATE that claims the purge, and the file deleted only once that is committed.
    expired = Upload.objects.filter(remains, expires_at__lt=now).exclude(state__in=WORKING_STATES)
    for upload in expired.only("pk", "file_name"):
        with transaction.atomic():
            cleared = (
                Upload.objects.filter(pk=upload.pk, file_name=upload.file_name)
                .exclude(state__in=WORKING_STATES)
                .update(file_name="", preview=[], file_purged_at=Coalesce("file_purged_at", Value(now)))
            )
            if not cleared:
                continue  # taken up by a worker (or purged) meanwhile
            UploadProblem.objects.filter(upload_id=upload.pk).delete()
            if upload.file_name:
                transaction.on_commit(partial(upload_files_delete, upload.file_name))
                files += 1
    return {"files": files, "orphans": _orphans_delete(now)}


def _orphans_delete(now: dt.datetime) -> int:
    settled = (now - dt.timedelta(hours=1)).timestamp()
    named = set(Upload.objects.exclude(file_name="").values_list("file_name", flat=True))
    deleted = 0
    for directory in (uploads_root() / "files", uploads_root() / "incoming"):
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            owner = path.name.removesuffix(CHECKED_SUFFIX)  # a file's checked reports go with it
            if path.is_file() and owner not in named and path.stat().st_mtime < settled:
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted
