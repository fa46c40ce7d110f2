"""Reads on user accounts, always through ``User.objects.restrict``."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from .delegation import roles_manageable_by
from .models import User


def user_list(*, actor: User, search: str = "") -> QuerySet[User]:
    """Accounts the actor may see, optionally matching ``search`` (username, name or e-mail), with 2FA status."""
    users = User.objects.restrict(actor, "view").select_related("administration", "region")
    search = search.strip()
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
        )
    confirmed_device = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return users.annotate(has_two_factor=Exists(confirmed_device)).order_by("last_name", "first_name", "username")


def user_manageable(*, actor: User) -> QuerySet[User]:
    """Accounts the actor may edit, deactivate or send a password link to: in reach and of a role they manage."""
    return (
        User.objects.restrict(actor, "change")
        .filter(role__in=roles_manageable_by(actor))
        .select_related("administration", "region")
    )


def user_two_factor_device(*, user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator device, if two-factor authentication is on."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
