"""Writes on user accounts and their two-factor devices."""

from __future__ import annotations

import smtplib
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied
from apps.tenancy.models import Administration, Region

from .delegation import roles_manageable_by, same_scope_roles
from .emails import LinkBase, send_password_link
from .models import User
from .roles import ADMINISTRATION_ROLES, RILO_ROLES, Role

OTP_DEVICE_NAME = "Authenticator app"


def _check_scope(role: str, administration: Administration | None, region: Region | None) -> None:
    if role in ADMINISTRATION_ROLES and (administration is None or region is not None):
        raise ApplicationError(f"A {Role(role).label.lower()} belongs to one administration.")
    if role in RILO_ROLES and (region is None or administration is not None):
        raise ApplicationError(f"A {Role(role).label.lower()} belongs to one RILO.")
    if role == Role.PARTNER_SYSTEM and region is not None:
        raise ApplicationError("A partner system account belongs to no RILO.")


def _check_may_grant(actor: User, role: str) -> None:
    if role not in roles_manageable_by(actor):
        label = Role(role).label if role in Role.values else role
        raise PermissionDenied(f"You may not give the role “{label}”.", extra={"role": ["You may not give this role."]})


def _check_may_manage(actor: User, user: User) -> None:
    """The account must be in the actor's reach (else it does not exist for them) and hold a role they manage."""
    manageable = User.objects.restrict(actor, "change").filter(pk=user.pk, role__in=roles_manageable_by(actor))
    if not manageable.exists():
        raise NotFound("This user does not exist.")


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


@transaction.atomic
def user_invite(
    *,
    actor: User,
    username: str,
    role: str,
    email: str,
    link_base: LinkBase,
    administration: Administration | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create an account for someone the actor manages and e-mail them a link to set their password.

    Officers and coordinators go to the actor's own administration, or (RILO administrators) to one
    of the administrations the actor may manage users of; RILO staff go to the actor's RILO. The
    account has no usable password until its owner follows the link. If the e-mail cannot be sent
    the account is not created, so nobody is left with an account they cannot open.
    """
    _check_may_grant(actor, role)
    if not email:
        message = "An e-mail address is needed to send the invitation."
        raise ApplicationError(message, extra={"email": [message]})
    region: Region | None = None
    if role in ADMINISTRATION_ROLES:
        if administration is None and actor.administration_id:
            administration = actor.administration
        if administration is None:
            raise ApplicationError(
                "Choose the administration.", extra={"administration": ["Choose the administration."]}
            )
        reachable = Administration.objects.restrict(actor, "manage_users").filter(pk=administration.pk)
        if not reachable.exists():
            raise NotFound("This administration does not exist.")
        if not administration.active:
            message = "This administration is inactive; reactivate it first."
            raise ApplicationError(message, extra={"administration": [message]})
    elif role in RILO_ROLES:
        if administration is not None:
            message = "RILO staff belong to the RILO, not to an administration; leave this empty."
            raise ApplicationError(message, extra={"administration": [message]})
        if actor.region is None:
            raise PermissionDenied("Only staff of a RILO can create accounts for RILO staff.")
        region = actor.region
    user = user_create(
        username=username,
        role=role,
        administration=administration,
        region=region,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    # The new account must be one the actor manages; otherwise the whole creation is rolled back.
    _check_may_manage(actor, user)
    try:
        send_password_link(user=user, link_base=link_base, purpose="invitation", actor=actor)
    except (OSError, smtplib.SMTPException) as exc:
        raise ApplicationError(f"The account was not created: the e-mail could not be sent ({exc}).") from exc
    return user


def user_sync_role_group(*, user: User) -> None:
    """Make the user a member of exactly its role's group."""
    groups = [Group.objects.get_or_create(name=user.role)[0]] if user.role else []
    user.groups.set(groups)


@transaction.atomic
def user_update(*, user: User, role: str | None = None, actor: User | None = None, **fields: Any) -> User:
    """Change an account's role or details; the administration or region stays as it was.

    With an ``actor`` (every change made through the UI), the account must be one the actor
    manages and the new role one the actor may give; nobody changes their own role.
    """
    if actor is not None:
        _check_may_manage(actor, user)
        if role is not None and role != user.role:
            if user.pk == actor.pk:
                raise PermissionDenied("You cannot change your own role.", extra={"role": ["Not your own."]})
            _check_may_grant(actor, role)
            if role not in same_scope_roles(user.role):
                raise ApplicationError(
                    "This role belongs to another kind of organisation; create a new account instead.",
                    extra={"role": ["Not possible for this account."]},
                )
    if role is not None and role != user.role:
        _check_scope(role, user.administration, user.region)
        user.role = role
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    user_sync_role_group(user=user)
    return user


@transaction.atomic
def user_deactivate(*, user: User, actor: User) -> User:
    """Stop an account from signing in; its sessions end at their next request. Nobody deactivates themselves."""
    _check_may_manage(actor, user)
    if user.pk == actor.pk:
        raise Conflict("You cannot deactivate your own account.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def user_reactivate(*, user: User, actor: User) -> User:
    """Let a deactivated account sign in again."""
    _check_may_manage(actor, user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


def user_password_reset_send(*, user: User, actor: User, link_base: LinkBase) -> None:
    """E-mail a managed, active account a link to choose a new password (its current one keeps working)."""
    _check_may_manage(actor, user)
    if not user.is_active:
        raise Conflict("This account is deactivated; reactivate it first.")
    if not user.email:
        raise Conflict("This account has no e-mail address; add one first.")
    send_password_link(user=user, link_base=link_base, purpose="reset", actor=actor)


# --- Two-factor authentication (TOTP) ---------------------------------------------------------


def otp_device_ensure(*, user: User, key_hex: str | None = None) -> TOTPDevice:
    """Give ``user`` a confirmed TOTP device (with ``key_hex`` as its secret, if given) and return it.

    Idempotent; used by the demo seeding so RILO staff can sign in with a known secret.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice(user=user, name=OTP_DEVICE_NAME, confirmed=True)
        if key_hex:
            device.key = key_hex
        device.full_clean(exclude=["user"])
        device.save()
    elif key_hex and device.key != key_hex:
        device.key = key_hex
        device.last_t = -1
        device.full_clean(exclude=["user"])
        device.save()
    return device


def otp_device_start(*, user: User) -> TOTPDevice:
    """Begin setting up an authenticator app: the user's pending (unconfirmed) device, made if needed.

    The same pending device is returned until it is confirmed, so reloading the set-up page does not
    invalidate a QR code the user has already scanned.
    """
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise Conflict("Two-factor authentication is already on for your account.")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=OTP_DEVICE_NAME, confirmed=False)
    return device


def _verify(device: TOTPDevice, token: str) -> bool:
    """Check ``token`` against ``device`` (throttled, no replays); the failure count is saved either way."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        locked_until = (info or {}).get("locked_until")
        wait = max(1, int((locked_until - timezone.now()).total_seconds()) + 1) if locked_until else 60
        message = f"Too many wrong codes. Wait {wait} seconds, then try again."
        raise ApplicationError(message, extra={"token": [message]}, code="throttled")
    return bool(device.verify_token(token))


_WRONG_CODE = "This code is not correct. Enter the code your authenticator app shows now."


def otp_device_confirm(*, user: User, token: str) -> TOTPDevice:
    """Confirm the pending device with a code it generated; other pending devices are removed."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise Conflict("There is no set-up in progress; start again.")
        verified = _verify(device, token)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
    # Raised outside the transaction so the failure count stays recorded.
    if not verified:
        raise ApplicationError(_WRONG_CODE, extra={"token": [_WRONG_CODE]}, code="wrong_code")
    return device


def otp_device_verify(*, user: User, token: str) -> TOTPDevice:
    """Check a code from the user's confirmed device at sign-in; returns the device that accepted it."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            raise Conflict("Two-factor authentication is not set up for your account.")
        verified = _verify(device, token)
    if not verified:
        raise ApplicationError(_WRONG_CODE, extra={"token": [_WRONG_CODE]}, code="wrong_code")
    return device


def otp_device_disable(*, user: User, token: str) -> None:
    """Turn two-factor authentication off after checking a current code; refused where the role requires it."""
    if user.requires_two_factor:
        raise PermissionDenied("Your role requires two-factor authentication; it cannot be turned off.")
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            raise Conflict("Two-factor authentication is already off.")
        verified = _verify(device, token)
        if verified:
            TOTPDevice.objects.filter(user=user).delete()
    if not verified:
        raise ApplicationError(_WRONG_CODE, extra={"token": [_WRONG_CODE]}, code="wrong_code")
