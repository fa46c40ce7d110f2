"""Workers run jobs (queue ``jobs``); beat sweeps up jobs whose worker died and deletes expired files and old jobs
(both on queue ``default``, never behind an hour-long job)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import task_names
from .services import job_purge_expired, job_run, job_sweep


@shared_task(
    name=task_names.RUN,
    acks_late=True,
    ignore_result=True,
    time_limit=settings.RILO_JOBS_TIME_LIMIT,
    soft_time_limit=settings.RILO_JOBS_TIME_LIMIT - 30,
)
def run(job_id: int) -> str:
    """Run the job if it is still queued (a second delivery of the same request finds it claimed)."""
    return job_run(job_id=job_id)


@shared_task(name=task_names.SWEEP, acks_late=True, ignore_result=True)
def sweep() -> dict[str, int]:
    """Fail the jobs whose worker stopped beating; ask again for queued jobs."""
    return job_sweep()


@shared_task(name=task_names.PURGE_EXPIRED, acks_late=True, ignore_result=True)
def purge_expired() -> dict[str, int]:
    """Delete finished jobs' files past their expiry, and jobs past RILO_JOBS_KEEP_DAYS."""
    return job_purge_expired()
