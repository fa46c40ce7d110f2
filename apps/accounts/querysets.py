"""Scope of user accounts: who may see and manage whom."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db.models import Q

from apps.core.actor import Actor
from apps.core.querysets import NOTHING, RestrictedQuerySet


class UserQuerySet(RestrictedQuerySet):
    def scope(self, user: Actor, action: str) -> Q:
        """Administration staff reach their administration's users; RILO staff their region's people."""
        if user.administration_id:
            return Q(administration_id=user.administration_id)
        if user.region_id:
            return Q(region_id=user.region_id) | Q(administration__region_id=user.region_id)
        return NOTHING


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    """Django's user manager with :meth:`restrict`."""


def system_account_scope(user: Actor) -> Q:
    """The partner-system accounts (as a ``Q`` on users) that ``user``'s position manages.

    A coordinator: the national-system accounts of their administration (and only they: a national
    system writes as its administration). RILO administrators: the accounts of the partners their RILO
    manages (``PartnerSystem.region``) that speak for no administration. Never another administration's
    or region's, never a national system's.
    """
    from .roles import Role

    if user.administration_id:
        return Q(role=Role.PARTNER_SYSTEM, administration_id=user.administration_id)
    if user.region_id:
        return Q(role=Role.PARTNER_SYSTEM, administration__isnull=True, partner_system__region_id=user.region_id)
    return NOTHING


class ApiTokenQuerySet(RestrictedQuerySet):
    def scope(self, user: Actor, action: str) -> Q:
        """Everyone reaches their own tokens. Coordinators and RILO administrators also see and revoke
        the tokens of the accounts they reach and of the system accounts they manage; auditors see them."""
        from .models import User
        from .roles import Role

        own = Q(user_id=user.pk)
        overseers = {Role.NATIONAL_COORDINATOR, Role.RILO_ADMINISTRATOR}
        if action == "view":
            overseers.add(Role.AUDITOR)
        if user.role not in overseers:
            return own
        reach = User.objects.all().scope(user, action) | system_account_scope(user)
        return own | Q(user__in=User.objects.filter(reach).values("pk"))

    def usable(self, now: Any = None) -> ApiTokenQuerySet:
        from django.utils import timezone

        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())
