"""Celery tasks of the exchange: short, idempotent, ``acks_late``; each fetches by id and calls a service.

Retries are never Celery countdowns: the schedule lives in ``Delivery.next_attempt_at`` and the
beat-scheduled :func:`sweep` hands due deliveries to workers.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from . import services, task_names

log = logging.getLogger(__name__)


@shared_task(name=task_names.FAN_OUT_EVENT, acks_late=True, ignore_result=True, soft_time_limit=90, time_limit=120)
def fan_out_event(event_id: int) -> None:
    """Create the deliveries of one outbox event (no-op if already done) and send those due now."""
    services.event_deliver(event_id=event_id)


@shared_task(name=task_names.DELIVER_ONE, acks_late=True, ignore_result=True, soft_time_limit=90, time_limit=120)
def deliver_one(delivery_id: int) -> None:
    """Send one delivery if it is due and its partner has a free slot (no-op otherwise)."""
    services.delivery_send_one(delivery_id=delivery_id)


@shared_task(name=task_names.DELIVER_DUE, acks_late=True, ignore_result=True, soft_time_limit=90, time_limit=120)
def deliver_due(batch: int | None = None) -> None:
    """Claim and send up to ``batch`` due deliveries."""
    services.deliveries_send_due(batch=batch or int(settings.RILO_EXCHANGE_BATCH))


@shared_task(name=task_names.SWEEP, acks_late=True, ignore_result=True, soft_time_limit=50, time_limit=60)
def sweep() -> None:
    """Fan out events nobody fanned out; queue due deliveries (including those of dead workers).

    Logged at INFO when it did something, else at DEBUG: an idle sweeper runs every few seconds."""
    done = services.exchange_sweep()
    log.log(logging.INFO if any(done.values()) else logging.DEBUG, "Exchange sweep: %s", done)


@shared_task(name=task_names.SCRUB_SUPERSEDED, acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300)
def scrub_superseded() -> int:
    """Remove the personal fields of versions superseded longer than ``RILO_FEED_PERSONAL_RETENTION_DAYS`` ago."""
    return services.superseded_scrub()
