"""Periodic housekeeping of reports (scheduled by Celery beat, see ``CELERY_BEAT_SCHEDULE``)."""

from __future__ import annotations

from celery import shared_task

from .grants import report_share_purge_expired


@shared_task(name="reports.purge_expired_shares", acks_late=True, time_limit=300, soft_time_limit=240)
def purge_expired_shares() -> int:
    """Delete report shares past their expiry (they already grant nothing); idempotent, safe at any time."""
    return report_share_purge_expired()
