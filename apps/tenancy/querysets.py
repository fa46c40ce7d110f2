"""Scopes of the tenancy models."""

from __future__ import annotations

from django.db.models import Q

from apps.core.actor import Actor
from apps.core.querysets import NOTHING, RestrictedQuerySet


class RegionQuerySet(RestrictedQuerySet):
    def scope(self, user: Actor, action: str) -> Q:
        if user.region_id:
            return Q(pk=user.region_id)
        if user.administration_id:
            return Q(administrations=user.administration_id)
        return NOTHING


class AdministrationQuerySet(RestrictedQuerySet):
    def scope(self, user: Actor, action: str) -> Q:
        """RILO staff reach their region's administrations; administration staff their own."""
        if user.region_id:
            return Q(region_id=user.region_id)
        if user.administration_id:
            return Q(pk=user.administration_id)
        return NOTHING
