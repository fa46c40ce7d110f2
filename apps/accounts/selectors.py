"""Reads on user accounts and API tokens, always through ``restrict()``."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.actor import Actor
from apps.core.exceptions import NotFound
from apps.core.querysets import NOTHING

from .delegation import roles_manageable_by
from .models import ApiToken, User
from .querysets import system_account_scope
from .roles import Role


def user_list(*, actor: Actor, search: str = "") -> QuerySet[User]:
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


def user_manageable(*, actor: Actor) -> QuerySet[User]:
    """Accounts the actor may edit, deactivate or send a password link to: in reach and of a role they manage."""
    return (
        User.objects.restrict(actor, "change")
        .filter(role__in=roles_manageable_by(actor))
        .select_related("administration", "region")
    )


def user_two_factor_device(*, user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator device, if two-factor authentication is on."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def api_token_list(*, user: Actor, action: str = "view") -> QuerySet[ApiToken]:
    """The API tokens of the accounts ``user`` reaches, newest first."""
    return ApiToken.objects.restrict(user, action).select_related("user", "created_by", "revoked_by")


def api_token_get(*, user: Actor, pk: Any, action: str = "view") -> ApiToken:
    """One token ``user`` may act on; another's is "not found"."""
    token = api_token_list(user=user, action=action).filter(pk=pk).first()
    if token is None:
        raise NotFound(_("No such API token."))
    return token


def api_token_holders(*, actor: Actor) -> QuerySet[User]:
    """The active accounts ``actor`` may issue tokens for: themselves (a person, not a system account)
    and, with ``accounts.add_apitoken``, the partner-system accounts they manage. Never another person."""
    if not getattr(actor, "is_authenticated", False):
        return User.objects.none()
    mine = Q(pk=actor.pk) if actor.role and actor.role != Role.PARTNER_SYSTEM else NOTHING
    managed = system_account_scope(actor) if actor.has_perm("accounts.add_apitoken") else NOTHING
    return User.objects.filter(mine | managed, is_active=True).order_by("username")
