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


class ApiTokenQuerySet(RestrictedQuerySet):
    def scope(self, user: Any, action: str) -> Q:
        """The tokens of the accounts the user reaches (the same scope as the accounts themselves)."""
        from .models import User

        return Q(user__in=User.objects.filter(User.objects.all().scope(user, action)).values("pk"))

    def usable(self, now: Any = None) -> ApiTokenQuerySet:
        from django.utils import timezone

        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())
