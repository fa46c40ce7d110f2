"""Periodic housekeeping of core tables (scheduled with django-celery-beat)."""

from __future__ import annotations

from celery import shared_task

from .services import idempotency_purge_expired


@shared_task(name="core.purge_idempotency_records", acks_late=True, time_limit=300, soft_time_limit=240)
def purge_idempotency_records() -> int:
    """Delete Idempotency-Key records past their retention (24 h); safe to run at any time, any number of times."""
    return idempotency_purge_expired()
