"""The outbox: the event a report's transition leaves for the exchange, in the transition's transaction."""

from __future__ import annotations

import uuid
from functools import partial

from django.db import transaction
from django.utils import timezone

from apps.core.rows import insert
from apps.reports.models import Report

from .. import kicks
from ..choices import EventType
from ..models import OutboxEvent
from ..snapshot import build_snapshot


def outbox_record(*, report: Report, event_type: str) -> OutboxEvent:
    """Write an outbox event for ``report`` in the caller's transaction; kick a worker after commit.

    Call it from the workflow service, after the transition is saved (the snapshot is read from
    the database): ``approved`` for an approval, ``corrected`` for a new approved version,
    ``withdrawn`` for a withdrawal. If the transaction rolls back, nothing is ever delivered.
    """
    if event_type not in EventType.values:
        raise ValueError(f"Unknown outbox event type {event_type!r}.")
    event_uuid = uuid.uuid4()
    at = timezone.now()
    # No savepoint: if the outbox row cannot be written, the whole transition must roll back.
    with transaction.atomic(savepoint=False):
        snapshot = build_snapshot(report, event_type=event_type, event_uuid=str(event_uuid), at=at)
        [event] = insert(
            [
                OutboxEvent(
                    uuid=event_uuid,
                    report_uuid=report.uuid,
                    report_version=snapshot["version"],
                    type=event_type,
                    snapshot=snapshot,
                    created_at=at,
                )
            ]
        )
        transaction.on_commit(partial(kicks.fan_out, event.pk))
    return event
