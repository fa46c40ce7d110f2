"""Reads of the audit log, for auditors (their region's events)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from apps.core.actor import Actor

from .models import AuditEvent


def audit_event_list(*, user: Actor, filters: Mapping[str, Any] | None = None) -> QuerySet[AuditEvent]:
    """Events the user may read, newest first. Filters: ``action`` (prefix), ``actor`` (id),
    ``object_uuid``, ``object_type``, ``since`` and ``until`` (datetimes or dates)."""
    filters = filters or {}
    events = AuditEvent.objects.restrict(user, "view").select_related("actor", "administration", "region")
    if filters.get("action"):
        events = events.filter(action__startswith=filters["action"])
    if filters.get("actor"):
        events = events.filter(actor_id=filters["actor"])
    if filters.get("object_uuid"):
        events = events.filter(object_uuid=filters["object_uuid"])
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"])
    for name, lookup in (("since", "at__gte"), ("until", "at__lt")):
        value = filters.get(name)
        if isinstance(value, dt.datetime):
            events = events.filter(**{lookup: value})
        elif isinstance(value, dt.date):
            events = events.filter(**{lookup.replace("at__", "at__date__"): value})
    return events.order_by("-at", "-pk")
