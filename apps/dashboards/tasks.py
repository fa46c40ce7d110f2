"""Celery tasks of the dashboards: short, idempotent, ``acks_late``; each calls a service."""

from __future__ import annotations

import logging

from celery import shared_task

from . import services, task_names

log = logging.getLogger(__name__)

# How long one run starts recomputing buckets for.
RECOMPUTE_SECONDS = 60.0


@shared_task(name=task_names.RECOMPUTE_DIRTY, acks_late=True, ignore_result=True, soft_time_limit=100, time_limit=120)
def recompute_dirty() -> int:
    """Recompute the summary buckets marked dirty (kicked after each commit that marks one, and swept by beat)."""
    # Buckets left when the time is up wait for the next kick or sweep (well inside the task's time limit).
    done = services.statistics_recompute_dirty(seconds=RECOMPUTE_SECONDS)
    log.log(logging.INFO if done else logging.DEBUG, "Statistics: %d bucket(s) and region month(s) recomputed.", done)
    return done


@shared_task(name=task_names.RECONCILE, acks_late=True, ignore_result=True, soft_time_limit=540, time_limit=600)
def reconcile() -> int:
    """Compare the summaries with the reports; returns the number of differing buckets."""
    return services.statistics_reconcile().buckets_differing
