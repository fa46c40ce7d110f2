"""Scope of audit events: auditors see the events of their region."""

from __future__ import annotations

from django.db.models import Q

from apps.core.actor import Actor
from apps.core.querysets import NOTHING, RestrictedQuerySet


class AuditEventQuerySet(RestrictedQuerySet):
    def scope(self, user: Actor, action: str) -> Q:
        if action != "view":
            return NOTHING  # the log is append-only
        if user.region_id:
            return Q(region_id=user.region_id)
        return NOTHING
