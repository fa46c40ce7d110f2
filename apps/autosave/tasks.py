"""Periodic housekeeping of autosaved drafts (scheduled in ``CELERY_BEAT_SCHEDULE``)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings

from .services import form_drafts_purge


@shared_task(name="autosave.purge_form_drafts", acks_late=True, time_limit=300, soft_time_limit=240)
def purge_form_drafts() -> int:
    """Delete drafts untouched for ``RILO_AUTOSAVE_RETENTION_DAYS``; safe to run at any time, any number of times."""
    return form_drafts_purge(older_than=dt.timedelta(days=int(settings.RILO_AUTOSAVE_RETENTION_DAYS)))
