"""Workers check and commit uploads (queue ``uploads``); beat sweeps up uploads whose worker died and deletes
stored files past their retention (both on queue ``default``, never behind a long upload)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import task_names
from .committing import upload_commit_run
from .housekeeping import upload_purge_expired, upload_sweep
from .services import upload_check


@shared_task(
    name=task_names.CHECK,
    acks_late=True,
    ignore_result=True,
    time_limit=settings.RILO_UPLOADS_TIME_LIMIT,
    soft_time_limit=settings.RILO_UPLOADS_TIME_LIMIT - 30,
)
def check(upload_id: int) -> str:
    """Read and check the upload if it is still waiting (a second delivery finds it claimed)."""
    return upload_check(upload_id=upload_id)


@shared_task(
    name=task_names.COMMIT,
    acks_late=True,
    ignore_result=True,
    time_limit=settings.RILO_UPLOADS_TIME_LIMIT,
    soft_time_limit=settings.RILO_UPLOADS_TIME_LIMIT - 30,
)
def commit(upload_id: int) -> str:
    """Write the upload's reports if its commit was asked for and no other worker is writing them."""
    return upload_commit_run(upload_id=upload_id)


@shared_task(name=task_names.SWEEP, acks_late=True, ignore_result=True, time_limit=120, soft_time_limit=100)
def sweep() -> dict[str, int]:
    """Start again the uploads whose worker died; ask again for waiting ones."""
    return upload_sweep()


@shared_task(name=task_names.PURGE_EXPIRED, acks_late=True, ignore_result=True, time_limit=600, soft_time_limit=570)
def purge_expired() -> dict[str, int]:
    """Delete stored files past RILO_UPLOADS_KEEP_DAYS."""
    return upload_purge_expired()
