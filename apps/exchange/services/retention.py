"""Personal data of superseded versions leaves the outbox after ``RILO_FEED_PERSONAL_RETENTION_DAYS``.

An outbox event keeps the snapshot a message is rendered from, personal fields included, for
partners entitled to them; the pull feed renders its messages from those snapshots on every read.
Once a later event about the same report (a correction, a withdrawal, the report marked a
duplicate) is older than the retention period, the superseded version's personal fields are no
longer served:

- **scrubbed at rest** by the beat task ``apps.exchange.tasks.scrub_superseded`` (hourly): every
  personal key of the snapshot (per the catalogue when it was made and as it is now) is set to
  null, and ``personal_scrubbed_at`` records it. This is the robust half: the data is gone, so no
  read path (feed, admin, a future export) can serve it. The outbox trigger allows exactly this
  one change of a snapshot, once.
- **redacted at read time** by the feed (:func:`redact_in_feed`), so the guarantee holds at the
  boundary itself, between two runs of the task or if beat is down: a superseded version past
  the period is rendered as for a partner that may not receive personal data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from ..choices import EventType
from ..models import OutboxEvent
from ..snapshot import personal_keys

SECTIONS = ("report", "items", "route", "conveyances", "parties")


def _retention() -> dt.timedelta:
    return dt.timedelta(days=int(settings.RILO_FEED_PERSONAL_RETENTION_DAYS))


def _superseding_events(*, report_uuid: Any, event_id: Any, version: Any) -> QuerySet[OutboxEvent]:
    r"""The events that supersede event ``event_id`` (version ``version``) of a report: a later event with a
    newer version, or a withdrawal (a report marked a duplicate is withdrawn too). Values or ``OuterRef``\s."""
    newer = Q(report_version__gt=version) | Q(type=EventType.WITHDRAWN)
    return OutboxEvent.objects.filter(newer, report_uuid=report_uuid, pk__gt=event_id)


def _superseding(event: str, version: str) -> Subquery:
    """When the first later event superseding ``event`` was made."""
    later = _superseding_events(
        report_uuid=OuterRef("report_uuid"), event_id=OuterRef(event), version=OuterRef(version)
    )
    return Subquery(later.order_by("pk").values("created_at")[:1])


def superseded_at() -> Subquery:
    """For deliveries: when their version was superseded, if it was."""
    return _superseding("event_id", "event__report_version")


def redact_in_feed(superseded: dt.datetime | None, *, now: dt.datetime | None = None) -> bool:
    """Whether a feed message superseded at ``superseded`` must be served without personal fields."""
    return superseded is not None and superseded <= (now or timezone.now()) - _retention()


def _scrubbed(snapshot: dict[str, Any]) -> dict[str, Any]:
    """``snapshot`` with every personal key (as the snapshot listed them, and as the catalogue says now) set to null."""
    listed = snapshot.get("personal") or {}
    current = personal_keys()
    out = dict(snapshot)
    for section in SECTIONS:
        keys = set(listed.get(section) or []) | set(current.get(section) or [])
        part = snapshot.get(section)
        if isinstance(part, dict):
            out[section] = {key: (None if key in keys else value) for key, value in part.items()}
        elif isinstance(part, list):
            out[section] = [
                {key: (None if key in keys else value) for key, value in row.items()} if isinstance(row, dict) else row
                for row in part
            ]
    return out


def superseded_scrub(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Scrub the personal fields of events superseded more than the retention period ago; returns how many."""
    now = now or timezone.now()
    due = (
        OutboxEvent.objects.filter(personal_scrubbed_at__isnull=True)
        .annotate(superseded=_superseding("pk", "report_version"))
        .filter(superseded__lte=now - _retention())
        .order_by("pk")
    )
    done = 0
    with transaction.atomic():
        for event in due.select_for_update(of=("self",), skip_locked=True)[:limit]:
            OutboxEvent.objects.filter(pk=event.pk).update(snapshot=_scrubbed(event.snapshot), personal_scrubbed_at=now)
            done += 1
    return done
