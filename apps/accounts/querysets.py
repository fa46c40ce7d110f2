"""Scope of user accounts: who may see and manage whom."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db.models import Q

from apps.core.querysets import NOTHING, RestrictedQuerySet


class UserQuerySet(RestrictedQuerySet):
    def scope(self, user: Any, action: str) -> Q:
        """Administration staff reach their administration's users; RILO staff their region's people."""
        if user.administration_id:
            return Q(administration_id=user.administration_id)
        if user.region_id:
            return Q(region_id=user.region_id) | Q(administration__region_id=user.region_id)
        return NOTHING


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    """Django's user manager with :meth:`restrict`."""
