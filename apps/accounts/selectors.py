"""Reads on accounts and API tokens, always narrowed by restrict()."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.exceptions import NotFound

from .models import ApiToken, User


def api_token_list(*, user: Any, action: str = "view") -> QuerySet[ApiToken]:
    """The API tokens of the accounts ``user`` reaches, newest first."""
    return ApiToken.objects.restrict(user, action).select_related("user", "created_by", "revoked_by")


def api_token_get(*, user: Any, pk: Any, action: str = "view") -> ApiToken:
    """One token ``user`` may act on; another's is "not found"."""
    token = api_token_list(user=user, action=action).filter(pk=pk).first()
    if token is None:
        raise NotFound("No such API token.")
    return token


def api_token_holders(*, actor: Any) -> QuerySet[User]:
    """The active accounts ``actor`` may issue tokens for (none without the capability)."""
    if not actor.has_perm("accounts.add_apitoken"):
        return User.objects.none()
    return User.objects.restrict(actor, "change").filter(is_active=True).exclude(role="").order_by("username")
