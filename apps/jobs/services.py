"""Writes of background jobs: create one, run it in a worker, sweep up those whose worker died, purge old files.

A job is claimed with a conditional ``UPDATE … WHERE state = queued`` (once only, without locks); its file
is written to a temporary name and moved into place in the transaction that marks it done (the job knows the
final name before the move, so a failed commit deletes it); a running job whose worker stops beating is
marked failed by the sweep and its files deleted, and a job queued too long is marked failed. The purge
deletes expired files and any file no finished job names. Nothing is ever offered for download but a
finished file, and only while the job's kind lets its owner have it (:func:`job_offers_file`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import Conflict
from apps.core.kicks import task_kick

from . import task_names
from .choices import ACTIVE_STATES, JobKind, JobState
from .files import files_delete, finished_files, finished_path, for_writing, temporary_path
from .kinds import JobRefused, keeper_for, runner_for
from .models import Job

logger = logging.getLogger(__name__)


class JobAbandoned(Exception):
    """The job is no longer this worker's (the sweep declared it failed): stop writing."""


def _stopped_message() -> str:
    return _(
        "The job stopped before it was finished (the server running it was interrupted). "
        "No file was kept: please start it again."
    )


def _error_message() -> str:
    return _(
        "The job could not be finished because of an error on our side. "
        "No file was kept: please start it again, and tell your administrator if it fails again."
    )


def _waited_message(hours: int) -> str:
    return ngettext(
        "The job waited more than %(hours)d hour for a worker to start it, so it was cancelled. "
        "Please start it again, and tell your administrator if it happens again.",
        "The job waited more than %(hours)d hours for a worker to start it, so it was cancelled. "
        "Please start it again, and tell your administrator if it happens again.",
        hours,
    ) % {"hours": hours}


def _too_many_message(limit: int) -> str:
    return ngettext(
        "You already have %(limit)d export waiting or running. "
        "Wait until it is finished (“My exports” lists it), then try again.",
        "You already have %(limit)d exports waiting or running. "
        "Wait until one of them is finished (“My exports” lists them), then try again.",
        limit,
    ) % {"limit": limit}


@transaction.atomic
def job_create(*, kind: JobKind, parameters: dict[str, Any], actor: Actor) -> Job:
    """Record a job for ``actor`` and ask a worker to run it once the transaction commits (the sweep starts it
    if that request is lost).

    The same job asked for again while the first is queued or running (same kind and parameters: a second
    click, a reload) is the first one, not another. :class:`Conflict` once ``actor`` has
    ``RILO_JOBS_ACTIVE_PER_OWNER`` jobs queued or running; the owner's row is locked while they are counted,
    so requests at once cannot pass the limit together.
    """
    get_user_model().objects.select_for_update().filter(pk=actor.pk).values_list("pk").get()
    active = Job.objects.filter(owner_id=actor.pk, state__in=ACTIVE_STATES)
    same = active.filter(kind=kind, parameters=parameters).order_by("created_at", "pk").first()
    if same is not None:
        return same
    limit = settings.RILO_JOBS_ACTIVE_PER_OWNER
    if active.count() >= limit:
        raise Conflict(_too_many_message(limit), code="too_many_jobs")
    job = Job.objects.create(owner_id=actor.pk, kind=kind, parameters=parameters)
    transaction.on_commit(lambda: job_kick(job_id=job.pk))
    return job


def job_kick(*, job_id: int) -> None:
    """Ask a worker to run the job now (an optimisation: the sweep starts queued jobs anyway)."""
    task_kick(task_names.RUN, job_id, fallback="the jobs sweep will start it")


class _Progress:
    """Records a running job's progress and heartbeat every so many rows or seconds."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.done = 0
        self.total: int | None = None
        self._every_rows = settings.RILO_JOBS_PROGRESS_ROWS
        self._every_seconds = settings.RILO_JOBS_PROGRESS_SECONDS
        self._last_rows = -1
        self._last_time = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        self.done, self.total = done, total if total is not None else self.total
        now = time.monotonic()
        if done - self._last_rows < self._every_rows and now - self._last_time < self._every_seconds:
            return
        self._last_rows, self._last_time = done, now
        beating = Job.objects.filter(pk=self.job.pk, state=JobState.RUNNING).update(
            rows_done=done, rows_total=self.total, heartbeat_at=timezone.now()
        )
        if not beating:
            raise JobAbandoned(str(self.job.uuid))


def job_run(*, job_id: int) -> str:
    """Run the job if it is still queued: write its file, then offer it for ``RILO_JOBS_FILE_HOURS``.

    The file appears under its final name only in the transaction that marks the job done; a refusal or an
    error marks the job failed with words for its owner, and whatever was written is deleted.
    """
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return "not queued"
    job = Job.objects.select_related("owner").get(pk=job_id)
    temporary = temporary_path(job)
    progress = _Progress(job)
    try:
        with for_writing(temporary).open("wb") as file:
            output = runner_for(job.kind)(job=job, file=file, progress=progress)
        name = f"{job.uuid}{os.path.splitext(output.download_name)[1]}"
        job.file_name = name  # before the move: if the commit fails, _fail deletes the file moved into place
        finished = timezone.now()
        with transaction.atomic():
            done = Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
                state=JobState.DONE,
                rows_done=progress.done,
                rows_total=progress.done,
                file_name=name,
                download_name=output.download_name,
                content_type=output.content_type,
                personal_data=output.personal_data,
                owner_scope=output.owner_scope,
                heartbeat_at=finished,
                finished_at=finished,
                expires_at=finished + dt.timedelta(hours=settings.RILO_JOBS_FILE_HOURS),
            )
            if not done:
                raise JobAbandoned(str(job.uuid))
            os.replace(temporary, for_writing(finished_path(name)))
        return "done"
    except JobAbandoned:
        return "abandoned"
    except JobRefused as refusal:
        _fail(job, refusal.message)
        return "refused"
    except Exception:
        logger.exception("Job %s (%s) failed", job.uuid, job.kind)
        _fail(job, _error_message())
        return "failed"
    finally:
        temporary.unlink(missing_ok=True)


def _fail(job: Job, message: str) -> None:
    Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
        state=JobState.FAILED, error=message, finished_at=timezone.now(), file_name=""
    )
    files_delete(job)


def job_sweep() -> dict[str, int]:
    """Mark failed the running jobs whose worker stopped beating (deleting their partial files) and the jobs
    still queued ``RILO_JOBS_QUEUED_HOURS`` after they were made (no worker takes them: their owner is told
    rather than left waiting), and ask a worker again for queued jobs whose request may have been lost: once
    ``RILO_JOBS_KICK_GRACE_SECONDS`` after the job was made, then again only that long after the last time
    (``kicked_at``), not on every sweep."""
    now = timezone.now()
    hours = settings.RILO_JOBS_QUEUED_HOURS
    timed_out = Job.objects.filter(state=JobState.QUEUED, created_at__lt=now - dt.timedelta(hours=hours)).update(
        state=JobState.FAILED, error=_waited_message(hours), finished_at=now
    )
    silent_since = now - dt.timedelta(seconds=settings.RILO_JOBS_HEARTBEAT_TIMEOUT)
    failed = 0
    for job in Job.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=silent_since):
        stopped = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, heartbeat_at__lt=silent_since).update(
            state=JobState.FAILED, error=_stopped_message(), finished_at=now, file_name=""
        )
        if stopped:
            files_delete(job)
            failed += 1
    waiting_since = now - dt.timedelta(seconds=settings.RILO_JOBS_KICK_GRACE_SECONDS)
    due = Q(kicked_at__isnull=True) | Q(kicked_at__lt=waiting_since)
    kicked = 0
    for job_id in Job.objects.filter(due, state=JobState.QUEUED, created_at__lt=waiting_since).values_list(
        "pk", flat=True
    ):
        # Recorded before the request, and only if no other sweep recorded it meanwhile: one request per grace.
        if Job.objects.filter(due, pk=job_id, state=JobState.QUEUED).update(kicked_at=now):
            job_kick(job_id=job_id)
            kicked += 1
    return {"failed": failed, "kicked": kicked, "timed_out": timed_out}


def job_purge_expired() -> dict[str, int]:
    """Delete the files of finished jobs past their expiry (the jobs stay listed, without a download), the
    jobs themselves ``RILO_JOBS_KEEP_DAYS`` after they were made (their parameters hold filters as typed), and
    any finished file no done job names (``files`` counts both kinds of file)."""
    now = timezone.now()
    files = 0
    for job in Job.objects.filter(state=JobState.DONE, expires_at__lt=now).exclude(file_name=""):
        files_delete(job)
        files += Job.objects.filter(pk=job.pk).update(file_name="")
    old = Job.objects.filter(created_at__lt=now - dt.timedelta(days=settings.RILO_JOBS_KEEP_DAYS))
    for job in old.only("pk", "uuid", "file_name"):
        files_delete(job)
    jobs, _by_model = old.delete()
    return {"files": files + _orphans_delete(now), "jobs": jobs}


def _orphans_delete(now: dt.datetime) -> int:
    """Delete the finished files no done job names (a worker stopped between moving one into place and
    committing), once unchanged for ``RILO_JOBS_HEARTBEAT_TIMEOUT``: a file moved into place a moment ago may
    belong to a commit still on its way."""
    named = set(Job.objects.filter(state=JobState.DONE).exclude(file_name="").values_list("file_name", flat=True))
    settled = (now - dt.timedelta(seconds=settings.RILO_JOBS_HEARTBEAT_TIMEOUT)).timestamp()
    deleted = 0
    for path in finished_files():
        if path.name not in named and path.stat().st_mtime < settled:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def job_offers_file(*, job: Job, actor: Actor) -> bool:
    """Whether ``job``'s file is offered to ``actor`` (its owner) now: the job is done, its file kept and not
    expired, and its kind's keeper lets the owner, as they are now, still have it. A file the keeper refuses
    (rights withdrawn, owner moved or deactivated) is deleted at once, and the job records when."""
    if not (job.is_done and job.file_name and job.expires_at is not None and job.expires_at > timezone.now()):
        return False
    if keeper_for(job.kind)(job=job, owner=actor):
        return True
    now = timezone.now()
    Job.objects.filter(pk=job.pk, file_name=job.file_name).update(file_name="", withdrawn_at=now)
    files_delete(job)
    job.file_name, job.withdrawn_at = "", now
    return False


def job_download(*, job: Job, actor: Actor) -> None:
    """Record that ``actor`` downloads the job's file, if it holds personal data (a personal-data read)."""
    if job.personal_data:
        audit_record(actor=actor, action="job.download", detail={"job": str(job.uuid), "kind": job.kind})
