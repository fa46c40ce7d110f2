"""Scope of partner systems: a partner belongs to the RILO that manages it (``PartnerSystem.region``).

RILO staff holding the capability reach their own RILO's partners; nobody else reaches any
(officers, coordinators, auditors without the capability, partner-system accounts). Deliveries,
policies and attempts are reached through their partner (see :mod:`apps.exchange.partners`).

A cross-region agreement concerns two RILOs: the partner's, which asks for it, and the other one,
which decides and may revoke it. Both see it; only the other one acts on it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from apps.core.querysets import NOTHING, RestrictedQuerySet


class PartnerSystemQuerySet(RestrictedQuerySet):
    def scope(self, user: Any, action: str) -> Q:
        from apps.accounts.roles import RILO_ROLES

        if user.role in RILO_ROLES and user.region_id:
            return Q(region_id=user.region_id)
        return NOTHING


class CrossRegionAgreementQuerySet(RestrictedQuerySet):
    def scope(self, user: Any, action: str) -> Q:
        from apps.accounts.roles import RILO_ROLES

        if user.role not in RILO_ROLES or not user.region_id:
            return NOTHING
        addressed = Q(region_id=user.region_id) & ~Q(partner__region_id=user.region_id)
        if action == "view":
            return addressed | Q(partner__region_id=user.region_id)
        if action == "change":
            # Approve, refuse, revoke: only the region whose reports it covers, never the partner's own.
            return addressed
        return NOTHING

    def in_force(self) -> Any:
        """Agreements approved and not revoked: the ones fan-out honours."""
        return self.filter(approved=True, revoked_at__isnull=True)
