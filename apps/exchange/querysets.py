"""Scope of partner systems: a partner belongs to the RILO that manages it (``PartnerSystem.region``).

RILO staff holding the capability reach their own RILO's partners; nobody else reaches any
(officers, coordinators, auditors without the capability, partner-system accounts). Deliveries,
policies and attempts are reached through their partner (see :mod:`apps.exchange.partners`).
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
