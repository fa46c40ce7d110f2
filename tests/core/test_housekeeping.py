"""Housekeeping in Celery beat: expired autosaved drafts and idempotency records are purged, nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from apps.autosave.models import FormDraft
from apps.autosave.tasks import purge_form_drafts
from apps.core.models import IdempotencyRecord
from apps.core.tasks import purge_idempotency_records
from rilo.celery import app
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_purge_tasks_are_scheduled_in_celery_beat() -> None:
    scheduled = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for task in (
        "autosave.purge_form_drafts",
        "core.purge_idempotency_records",
        "apps.exchange.tasks.scrub_superseded",
    ):
        assert task in scheduled, task
        assert float(scheduled[task]["schedule"]) <= 6 * 60 * 60
        app.loader.import_default_modules()
        assert task in app.tasks, task  # the name beat sends is a task a worker knows


def test_purging_autosaved_drafts_deletes_only_the_expired_ones() -> None:
    user = UserFactory.create(username="alice")
    expired = FormDraft.objects.create(user=user, form="reports.report", payload={"place": ["Le Havre"]})
    recent = FormDraft.objects.create(user=user, form="reports.report", payload={"place": ["Calais"]})
    days = settings.RILO_AUTOSAVE_RETENTION_DAYS
    FormDraft.objects.filter(pk=expired.pk).update(updated_at=timezone.now() - dt.timedelta(days=days, minutes=1))
    FormDraft.objects.filter(pk=recent.pk).update(updated_at=timezone.now() - dt.timedelta(days=days - 1))

    assert purge_form_drafts() == 1
    assert list(FormDraft.objects.values_list("pk", flat=True)) == [recent.pk]
    assert purge_form_drafts() == 0


def test_purging_idempotency_records_deletes_only_the_expired_ones() -> None:
    user = UserFactory.create(username="alice")
    hours = settings.RILO_IDEMPOTENCY_TTL_HOURS
    expired, recent = (
        IdempotencyRecord.objects.create(
            user=user, key=key * 64, method="POST", path="/api/v1/reports/", request_hash="0" * 64
        )
        for key in ("a", "b")
    )
    IdempotencyRecord.objects.filter(pk=expired.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours + 1))
    IdempotencyRecord.objects.filter(pk=recent.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours - 1))

    assert purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [recent.pk]
