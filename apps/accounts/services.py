"""Writes on user accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from apps.core.exceptions import ApplicationError
from apps.tenancy.models import Administration, Region

from .models import User
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
