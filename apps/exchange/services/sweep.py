"""The sweeper: the safety net that makes correctness independent of the kicks."""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.utils import timezone

from .. import kicks, sql
from ..models import OutboxEvent
from .fan_out import event_fan_out, feed_number_due


def exchange_sweep(*, fan_out_limit: int = 500, max_batches: int = 8) -> dict[str, int]:
    """The safety net run by Celery beat: fan out forgotten events, number messages whose embargo
    ended in the pull feed, and hand due deliveries to workers.

    Work a kick is about to do (an event written, a delivery queued, less than
    ``RILO_EXCHANGE_KICK_GRACE_SECONDS`` ago) is left to that kick, so that under load the sweeper
    does not do it a second time; an expired lease is taken over at once.
    """
    grace = dt.timedelta(seconds=float(settings.RILO_EXCHANGE_KICK_GRACE_SECONDS))
    pending = list(
        OutboxEvent.objects.filter(fanned_out_at__isnull=True, created_at__lte=timezone.now() - grace)
        .order_by("pk")
        .values_list("pk", flat=True)[:fan_out_limit]
    )
    for event_id in pending:
        event_fan_out(event_id=event_id)
    joined = feed_number_due()
    now = timezone.now()
    due = sql.deliveries_due_count(now, now - grace)
    batch = int(settings.RILO_EXCHANGE_BATCH)
    batches = min(max_batches, math.ceil(due / batch))
    kicks.deliver_due(batches, batch)
    return {"fanned_out": len(pending), "due": due, "batches": batches, "joined_feed": joined}
