"""Writes on user accounts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied
from apps.tenancy.models import Administration, Region

from .models import ApiToken, User
from .roles import ADMINISTRATION_ROLES, RILO_ROLES, Role


def _check_scope(role: str, administration: Administration | None, region: Region | None) -> None:
    if role in ADMINISTRATION_ROLES and (administration is None or region is not None):
        raise ApplicationError(f"A {Role(role).label.lower()} belongs to one administration.")
    if role in RILO_ROLES and (region is None or administration is not None):
        raise ApplicationError(f"A {Role(role).label.lower()} belongs to one RILO.")
    if role == Role.PARTNER_SYSTEM and region is not None:
        raise ApplicationError("A partner system account belongs to no RILO.")


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    administration: Administration | None = None,
    region: Region | None = None,
    password: str | None = None,
    **fields: Any,
) -> User:
    """Create an account in its role group. Without a password the account can only reset one."""
    _check_scope(role, administration, region)
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError("This username is taken.", extra={"username": ["This username is taken."]})
    user = User(username=username, role=role, administration=administration, region=region, **fields)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user_sync_role_group(user=user)
    return user


def user_sync_role_group(*, user: User) -> None:
    """Make the user a member of exactly its role's group."""
    groups = [Group.objects.get_or_create(name=user.role)[0]] if user.role else []
    user.groups.set(groups)


@transaction.atomic
def user_update(*, user: User, role: str | None = None, **fields: Any) -> User:
    """Change an account's role or details; the administration or region stays as it was."""
    if role is not None and role != user.role:
        _check_scope(role, user.administration, user.region)
        user.role = role
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    user_sync_role_group(user=user)
    return user


# --- API tokens -------------------------------------------------------------------------------


class TokenRejected(ApplicationError):
    """A bearer token that does not authenticate anyone: malformed, unknown, expired or revoked (401)."""

    status = 401
    code = "token_invalid"


_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SCOPE_ORDER = [scope.value for scope in ApiToken.Scope]


def _token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8", "surrogateescape")).hexdigest()


def _new_prefix() -> str:
    for _ in range(10):
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(ApiToken.PREFIX_LENGTH))
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix
    raise RuntimeError("Could not find a free API token prefix.")  # 36^8 prefixes: practically unreachable


def _clean_scopes(scopes: Iterable[str], allowed_scopes: Collection[str] | None) -> list[str]:
    wanted = set(scopes)
    unknown = wanted - set(_SCOPE_ORDER)
    if unknown or not wanted:
        message = f"Unknown scope: {', '.join(sorted(unknown))}." if unknown else "Choose at least one scope."
        raise ApplicationError(message, extra={"scopes": [message]})
    if allowed_scopes is not None and not wanted <= set(allowed_scopes):
        extra = ", ".join(sorted(wanted - set(allowed_scopes)))
        message = f"A token may not grant scopes it does not hold itself: {extra}."
        raise PermissionDenied(message, extra={"scopes": [message]})
    return [scope for scope in _SCOPE_ORDER if scope in wanted]


@transaction.atomic
def token_issue(
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime,
    actor: User | None,
    allowed_scopes: Collection[str] | None = None,
) -> tuple[ApiToken, str]:
    """Issue an API token for ``user``; returns the token and its plaintext, which is never stored.

    ``actor`` must hold ``accounts.add_apitoken`` and manage ``user`` (``User.objects.restrict(actor,
    "change")``), else the user is "not found"; ``actor=None`` is the command line. ``allowed_scopes``
    (the scopes of the token the actor authenticated with, if any) caps the new token's scopes.
    """
    if actor is not None:
        if not actor.has_perm("accounts.add_apitoken"):
            raise PermissionDenied("You may not issue API tokens.")
        if not User.objects.restrict(actor, "change").filter(pk=user.pk).exists():
            raise NotFound("No such user.", extra={"user": ["No such user among the accounts you manage."]})
    if not user.is_active:
        raise ApplicationError("This account is deactivated.", extra={"user": ["This account is deactivated."]})
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Give the token a name.", extra={"name": ["Give the token a name."]})
    clean_scopes = _clean_scopes(scopes, allowed_scopes)
    now = timezone.now()
    longest = now + timedelta(days=settings.RILO_API_TOKEN_MAX_DAYS)
    if not now < expires_at <= longest:
        message = f"Choose an expiry in the future and at most {settings.RILO_API_TOKEN_MAX_DAYS} days away."
        raise ApplicationError(message, extra={"expires_at": [message]})

    prefix = _new_prefix()
    plaintext = f"{ApiToken.PLAINTEXT_TAG}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user=user,
        name=name,
        prefix=prefix,
        secret_hash=_token_digest(plaintext),
        scopes=clean_scopes,
        expires_at=expires_at,
        created_by=actor,
        created_at=now,
    )
    token.full_clean()
    token.save()
    return token, plaintext


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke a token at once; revoking it again is a conflict. ``actor`` must be allowed to change it."""
    tokens = ApiToken.objects.all() if actor is None else ApiToken.objects.restrict(actor, "change")
    locked = tokens.select_for_update().filter(pk=token.pk).first()
    if locked is None:
        raise NotFound("No such API token.")
    if locked.revoked_at is not None:
        raise Conflict(
            "This token is already revoked.", extra={"revoked_at": locked.revoked_at.isoformat()}, code="token_revoked"
        )
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor
    locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


def token_authenticate(*, plaintext: str, now: datetime | None = None) -> ApiToken:
    """The usable token ``plaintext`` names, with its user; records the use. Raises :class:`TokenRejected`."""
    now = now or timezone.now()
    parts = plaintext.split("_", 2)
    prefix = parts[1] if len(parts) == 3 and parts[0] == ApiToken.PLAINTEXT_TAG else ""
    token = None
    if len(prefix) == ApiToken.PREFIX_LENGTH:
        token = (
            ApiToken.objects.select_related("user__administration__region", "user__region")
            .filter(prefix=prefix)
            .first()
        )
    # Compare even when no row matched, so that timing does not tell which prefixes exist.
    expected = token.secret_hash if token is not None else _token_digest("")
    if not hmac.compare_digest(_token_digest(plaintext), expected) or token is None:
        raise TokenRejected("token invalid")
    if token.revoked_at is not None:
        raise TokenRejected("token revoked", code="token_revoked", extra={"revoked_at": token.revoked_at.isoformat()})
    if token.is_expired(now):
        raise TokenRejected("token expired", code="token_expired", extra={"expired_at": token.expires_at.isoformat()})
    if not token.user.is_active:
        raise TokenRejected("account deactivated", code="account_inactive")
    token_record_use(token=token, now=now)
    return token


LAST_USE_RESOLUTION = timedelta(minutes=1)


def token_record_use(*, token: ApiToken, now: datetime) -> bool:
    """Set ``last_used_at``, at most once a minute per token (a conditional UPDATE, so racing requests write once)."""
    if token.last_used_at is not None and token.last_used_at > now - LAST_USE_RESOLUTION:
        return False
    updated = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USE_RESOLUTION))
        .update(last_used_at=now)
    )
    if updated:
        token.last_used_at = now
    return bool(updated)
