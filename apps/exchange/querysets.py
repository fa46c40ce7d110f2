"""Scope of partner systems: a partner belongs to the RILO that manages it (``PartnerSystem.region``).

RILO staff holding the capability reach their own RILO's partners; nobody else reaches any
(officers, coordinators, auditors without the capability, partner-system accounts). Deliveries and
policies are reached through their partner's RILO, outbox events through a delivery of theirs to
one of its partners.

A cross-region agreement concerns two RILOs: the partner's, which asks for it, and the other one,
which decides and may revoke it. Both see it; only the other one acts on it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from apps.core.actor import Actor
from apps.core.querysets import NOTHING, RestrictedQuerySet


def _rilo_region(user: Actor) -> int | None:
    """The RILO whose partners the user reaches (RILO staff only), or None."""
    from apps.accounts.roles import RILO_ROLES

    return user.region_id if user.role in RILO_ROLES and user.region_id else None


class PartnerSystemQuerySet(RestrictedQuerySet):
    def scope(self, user: Actor, action: str) -> Q:
        region_id = _rilo_region(user)
        return Q(region_id=region_id) if region_id else NOTHING


class ThroughPartnerQuerySet(RestrictedQuerySet):
    """Rows owned through their ``partner`` foreign key: deliveries and sharing policies."""

    def scope(self, user: Actor, action: str) -> Q:
        region_id = _rilo_region(user)
        return Q(partner__region_id=region_id) if region_id else NOTHING


class OutboxEventQuerySet(RestrictedQuerySet):
    """Outbox events, reached through a delivery of theirs to a partner of the user's RILO."""

    def scope(self, user: Actor, action: str) -> Q:
        from .models import Delivery

        region_id = _rilo_region(user)
        if not region_id:
            return NOTHING
        return Q(Exists(Delivery.objects.filter(event_id=OuterRef("pk"), partner__region_id=region_id)))


class CrossRegionAgreementQuerySet(RestrictedQuerySet):
    def scope(self, user: Actor, action: str) -> Q:
        region_id = _rilo_region(user)
        if not region_id:
            return NOTHING
        addressed = Q(region_id=region_id) & ~Q(partner__region_id=region_id)
        if action == "view":
            return addressed | Q(partner__region_id=region_id)
        if action == "change":
            # Approve, refuse, revoke: only the region whose reports it covers, never the partner's own.
            return addressed
        return NOTHING

    def in_force(self) -> Any:
        """Agreements approved and not revoked: the ones fan-out honours."""
        return self.filter(approved=True, revoked_at__isnull=True)
