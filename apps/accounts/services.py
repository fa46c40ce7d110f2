"""Writes on user accounts and their two-factor devices."""

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
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied
from apps.core.languages import is_offered
from apps.tenancy.models import Administration, Region

from . import notifications
from .delegation import role_scope_check, roles_manageable_by, same_scope_roles
from .emails import LinkBase, send_password_link
from .models import ApiToken, User
from .querysets import system_account_scope
from .roles import ADMINISTRATION_ROLES, RILO_ROLES, SYSTEM_ROLES, Role

OTP_DEVICE_NAME = "Authenticator app"


def _check_may_grant(actor: Actor, role: str) -> None:
    if role not in roles_manageable_by(actor):
        label = Role(role).label if role in Role.values else role
        raise PermissionDenied(
            _("You may not give the role “%(label)s”.") % {"label": label},
            extra={"role": [_("You may not give this role.")]},
        )


def _check_may_manage(actor: Actor, user: User) -> None:
    """The account must be in the actor's reach (else it does not exist for them) and hold a role they manage."""
    manageable = User.objects.restrict(actor, "change").filter(pk=user.pk, role__in=roles_manageable_by(actor))
    if not manageable.exists():
        raise NotFound(_("This user does not exist."))


@transaction.atomic
def user_create(
    *,
    actor: Actor | None,
    username: str,
    role: str,
    email: str = "",
    administration: Administration | None = None,
    region: Region | None = None,
    link_base: LinkBase | None = None,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create an account in its role group: the one way an account is made.

    With an ``actor`` (a coordinator or RILO administrator on the users page) it is an invitation:
    the account must be one the actor manages. Officers and coordinators go to the actor's own
    administration, or (RILO administrators) to one of the administrations the actor may manage
    users of; RILO staff go to the actor's RILO (``region`` is not the caller's to give). The account
    has no usable password until its owner follows the link e-mailed to ``email`` (written to the
    mail outbox with the account and sent by a worker, retried while the mail server is away; if it
    finally fails, it shows as failed in the admin and a new link can be sent from the account's
    page); the invitation is audited.

    With ``actor=None`` the platform itself makes it (a partner system's account, inside the
    audited ``partner_create``; the demo's and the benchmarks' personas): the role's scope is
    checked, and without a ``password`` the account can only reset one.
    """
    invitation: tuple[Actor, LinkBase] | None = None  # who invites, and where the e-mailed link leads
    if actor is not None:
        if region is not None or password is not None or link_base is None:
            raise ValueError("An invited account gets its RILO from the actor and its password from the link.")
        invitation = (actor, link_base)
        administration, region = _invited_placement(actor=actor, role=role, email=email, administration=administration)
    role_scope_check(role, administration, region)
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(_("This username is taken."), extra={"username": [_("This username is taken.")]})
    user = User(
        username=username,
        role=role,
        administration=administration,
        region=region,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user_sync_role_group(user=user)
    if invitation is not None:
        inviter, link = invitation
        # The new account must be one the actor manages; otherwise the whole creation is rolled back.
        _check_may_manage(inviter, user)
        send_password_link(user=user, link_base=link, purpose="invitation", actor=inviter)
        audit_record(
            actor=inviter, action="accounts.user_invite", obj=user, detail={"user": user.pk, "role": user.role}
        )
    return user


def _invited_placement(
    *, actor: Actor, role: str, email: str, administration: Administration | None
) -> tuple[Administration | None, Region | None]:
    """Where an account the actor invites belongs: the administration or RILO (refusals beside their field)."""
    _check_may_grant(actor, role)
    if not email:
        message = _("An e-mail address is needed to send the invitation.")
        raise ApplicationError(message, extra={"email": [message]})
    region: Region | None = None
    if role in ADMINISTRATION_ROLES:
        if administration is None and actor.administration_id:
            administration = Administration.objects.get(pk=actor.administration_id)
        if administration is None:
            raise ApplicationError(
                _("Choose the administration."), extra={"administration": [_("Choose the administration.")]}
            )
        reachable = Administration.objects.restrict(actor, "manage_users").filter(pk=administration.pk)
        if not reachable.exists():
            raise NotFound(_("This administration does not exist."))
        if not administration.active:
            message = _("This administration is inactive; reactivate it first.")
            raise ApplicationError(message, extra={"administration": [message]})
    elif role in RILO_ROLES:
        if administration is not None:
            message = _("RILO staff belong to the RILO, not to an administration; leave this empty.")
            raise ApplicationError(message, extra={"administration": [message]})
        if actor.region_id is None:
            raise PermissionDenied(_("Only staff of a RILO can create accounts for RILO staff."))
        region = Region.objects.get(pk=actor.region_id)
    return administration, region


def user_sync_role_group(*, user: User) -> None:
    """Make the user a member of exactly its role's group."""
    groups = [Group.objects.get_or_create(name=user.role)[0]] if user.role else []
    user.groups.set(groups)


@transaction.atomic
def user_update(*, user: User, role: str | None = None, actor: Actor | None = None, **fields: Any) -> User:
    """Change an account's role or details; the administration or region stays as it was.

    With an ``actor`` (every change made through the UI), the account must be one the actor
    manages and the new role one the actor may give; nobody changes their own role.
    """
    if actor is not None:
        _check_may_manage(actor, user)
        if role is not None and role != user.role:
            if user.pk == actor.pk:
                raise PermissionDenied(_("You cannot change your own role."), extra={"role": [_("Not your own.")]})
            _check_may_grant(actor, role)
            if role not in same_scope_roles(user.role):
                raise ApplicationError(
                    _("This role belongs to another kind of organisation; create a new account instead."),
                    extra={"role": [_("Not possible for this account.")]},
                )
    old_role, old_email = user.role, user.email
    if role is not None and role != user.role:
        role_scope_check(role, user.administration, user.region)
        user.role = role
    changed = sorted(name for name, value in fields.items() if getattr(user, name) != value)
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    user_sync_role_group(user=user)
    # On record: codes and ids only, never the names or addresses themselves.
    if user.role != old_role:
        detail = {"user": user.pk, "from_role": old_role, "to_role": user.role}
        audit_record(actor=actor, action="accounts.user_role_change", obj=user, detail=detail)
    if "email" in changed:
        audit_record(actor=actor, action="accounts.user_email_change", obj=user, detail={"user": user.pk})
        if old_email:
            notifications.notify_email_changed(user=user, old_address=old_email, actor=actor)
    others = [name for name in changed if name != "email"]
    if others:
        audit_record(actor=actor, action="accounts.user_update", obj=user, detail={"user": user.pk, "fields": others})
    return user


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Save the language the user chose for pages and e-mails; an unknown code is refused."""
    if not is_offered(language):
        raise ApplicationError(_("This language is not offered."))
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


def user_deactivate(*, user: User, actor: Actor) -> User:
    """Stop an account from signing in; its sessions end at their next request. Nobody deactivates themselves."""
    _check_may_manage(actor, user)
    if user.pk == actor.pk:
        raise Conflict(_("You cannot deactivate your own account."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, action="accounts.user_deactivate", obj=user, detail={"user": user.pk})
    return user


@transaction.atomic
def user_reactivate(*, user: User, actor: Actor) -> User:
    """Let a deactivated account sign in again."""
    _check_may_manage(actor, user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, action="accounts.user_reactivate", obj=user, detail={"user": user.pk})
    return user


def user_password_reset_send(*, user: User, actor: Actor, link_base: LinkBase) -> None:
    """E-mail a managed, active account a link to choose a new password (its current one keeps working)."""
    _check_may_manage(actor, user)
    if not user.is_active:
        raise Conflict(_("This account is deactivated; reactivate it first."))
    if not user.email:
        raise Conflict(_("This account has no e-mail address; add one first."))
    send_password_link(user=user, link_base=link_base, purpose="reset", actor=actor)
    audit_record(actor=actor, action="accounts.user_password_link", obj=user, detail={"user": user.pk})


@transaction.atomic
def user_two_factor_reset(*, user: User, actor: Actor) -> None:
    """Remove a managed account's authenticator devices (a lost phone): at their next sign-in the owner
    sets one up again (required roles) or signs in without one. Nobody resets their own. Audited; the
    owner is told by e-mail."""
    _check_may_manage(actor, user)
    if user.pk == actor.pk:
        raise Conflict(_("You cannot reset your own two-factor authentication; ask the person who manages you."))
    removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
    if not removed:
        raise Conflict(_("This account has no two-factor device to reset."))
    audit_record(actor=actor, action="accounts.user_two_factor_reset", obj=user, detail={"user": user.pk})
    if user.email:
        notifications.notify_two_factor_reset(user=user, actor=actor)


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
        raise Conflict(_("Two-factor authentication is already on for your account."))
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
        message = _("Too many wrong codes. Wait %(wait)s seconds, then try again.") % {"wait": wait}
        raise ApplicationError(message, extra={"token": [message]}, code="throttled")
    return bool(device.verify_token(token))


_WRONG_CODE = "This code is not correct. Enter the code your authenticator app shows now."


def otp_device_confirm(*, user: User, token: str) -> TOTPDevice:
    """Confirm the pending device with a code it generated; other pending devices are removed."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise Conflict(_("There is no set-up in progress; start again."))
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
            raise Conflict(_("Two-factor authentication is not set up for your account."))
        verified = _verify(device, token)
    if not verified:
        raise ApplicationError(_WRONG_CODE, extra={"token": [_WRONG_CODE]}, code="wrong_code")
    return device


def otp_device_disable(*, user: User, token: str) -> None:
    """Turn two-factor authentication off after checking a current code; refused where the role requires it."""
    if user.requires_two_factor:
        raise PermissionDenied(_("Your role requires two-factor authentication; it cannot be turned off."))
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            raise Conflict(_("Two-factor authentication is already off."))
        verified = _verify(device, token)
        if verified:
            TOTPDevice.objects.filter(user=user).delete()
    if not verified:
        raise ApplicationError(_WRONG_CODE, extra={"token": [_WRONG_CODE]}, code="wrong_code")


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
    for _attempt in range(10):
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _position in range(ApiToken.PREFIX_LENGTH))
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix
    raise RuntimeError("Could not find a free API token prefix.")  # 36^8 prefixes: practically unreachable


def _clean_scopes(scopes: Iterable[str], allowed_scopes: Collection[str] | None) -> list[str]:
    wanted = set(scopes)
    unknown = wanted - set(_SCOPE_ORDER)
    if unknown or not wanted:
        message = (
            _("Unknown scope: %(join)s.") % {"join": ", ".join(sorted(unknown))}
            if unknown
            else "Choose at least one scope."
        )
        raise ApplicationError(message, extra={"scopes": [message]})
    if allowed_scopes is not None and not wanted <= set(allowed_scopes):
        extra = ", ".join(sorted(wanted - set(allowed_scopes)))
        message = _("A token may not grant scopes it does not hold itself: %(extra)s.") % {"extra": extra}
        raise PermissionDenied(message, extra={"scopes": [message]})
    return [scope for scope in _SCOPE_ORDER if scope in wanted]


class TwoFactorRequired(PermissionDenied):
    """A person's own token is issued only from a session verified with their second factor (403)."""

    code = "two_factor_required"


def _check_may_issue_for(*, user: User, actor: Actor, two_factor_verified: bool) -> None:
    """A person's token only by that person, verified; a system account's only by whoever manages it."""
    if user.pk == actor.pk:
        if not actor.role or actor.role == Role.PARTNER_SYSTEM:
            raise PermissionDenied(_("A partner system's tokens are issued by the people who manage it."))
        if not two_factor_verified:
            raise TwoFactorRequired(
                _(
                    "A token acts as you: issue it from a session verified with your second factor "
                    "(set up two-factor authentication, then sign in with a code)."
                )
            )
        return
    if not actor.has_perm("accounts.add_apitoken"):
        raise PermissionDenied(_("You may issue API tokens only for yourself."))
    managed = actor.is_superuser or User.objects.filter(system_account_scope(actor), pk=user.pk).exists()
    if managed and user.role == Role.PARTNER_SYSTEM:
        return
    if User.objects.restrict(actor, "change").filter(pk=user.pk).exists():
        # A person (or a national system of the region) in the actor's reach: refused, and the attempt is on record.
        audit_record(actor=actor, action="accounts.token_issue_refused", obj=user, detail={"holder": user.pk})
        if user.role == Role.PARTNER_SYSTEM:
            message = _("A national system's API tokens are issued only by the coordinators of its administration.")
        else:
            message = _("A person's API token is issued only by that person, from their own verified session.")
        raise PermissionDenied(message, extra={"user": [message]})
    raise NotFound(_("No such user."), extra={"user": [_("No such account among those you manage.")]})


def token_issue(
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime,
    actor: Actor | None,
    two_factor_verified: bool = False,
    allowed_scopes: Collection[str] | None = None,
) -> tuple[ApiToken, str]:
    """Issue an API token for ``user``; returns the token and its plaintext, which is never stored.

    A person's token is issued only by that person (``actor`` is ``user``), from a session verified
    with their second factor (``two_factor_verified``, which only the web session can say). Someone
    holding ``accounts.add_apitoken`` (coordinators, RILO administrators) issues tokens for the
    partner-system accounts they manage (:func:`~apps.accounts.querysets.system_account_scope`),
    never for another person; another account is "not found". ``actor=None`` is the command line.
    ``allowed_scopes`` (the scopes of the token the actor authenticated with, if any) caps the new
    token's scopes. The act is audited (holder, issuer, scopes, expiry, prefix: never the secret) and
    the holder is told by e-mail (a system account without an address: its managers).
    """
    if actor is not None:
        _check_may_issue_for(user=user, actor=actor, two_factor_verified=two_factor_verified)
    with transaction.atomic():
        return _token_create(
            user=user, name=name, scopes=scopes, expires_at=expires_at, actor=actor, allowed_scopes=allowed_scopes
        )


def _token_create(
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime,
    actor: Actor | None,
    allowed_scopes: Collection[str] | None,
) -> tuple[ApiToken, str]:
    if not user.is_active:
        raise ApplicationError(_("This account is deactivated."), extra={"user": [_("This account is deactivated.")]})
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the token a name."), extra={"name": [_("Give the token a name.")]})
    clean_scopes = _clean_scopes(scopes, allowed_scopes)
    now = timezone.now()
    longest = now + timedelta(days=settings.RILO_API_TOKEN_MAX_DAYS)
    if not now < expires_at <= longest:
        message = _("Choose an expiry in the future and at most %(RILO_API_TOKEN_MAX_DAYS)s days away.") % {
            "RILO_API_TOKEN_MAX_DAYS": settings.RILO_API_TOKEN_MAX_DAYS
        }
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
        created_by_id=actor.pk if actor is not None else None,
        created_at=now,
    )
    token.full_clean()
    token.save()
    _token_audit(action="accounts.token_issue", token=token, actor=actor)
    notifications.notify_token_issued(token=token, actor=actor)
    return token, plaintext


def _token_audit(*, action: str, token: ApiToken, actor: Actor | None) -> None:
    """Record a token act: ids and codes, the prefix, never the secret or the free-text name. For a partner's
    account, the partner too, and the event goes to the auditors of the partner's RILO (one event per act, also
    when issued from the partner's page)."""
    detail: dict[str, Any] = {
        "holder": token.user_id,
        "holder_role": token.user.role,
        "issuer": token.created_by_id,
        "actor": actor.pk if actor is not None else None,
        "scopes": list(token.scopes),
        "expires_at": token.expires_at.isoformat(),
        "token_prefix": token.display_prefix,
    }
    partner = getattr(token.user, "partner_system", None)  # the exchange's partner speaking with this account
    region = None
    if partner is not None:
        detail["partner"] = partner.pk
        region = partner.region
    audit_record(actor=actor, action=action, obj=token, detail=detail, region=region)


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Actor | None) -> ApiToken:
    """Revoke a token at once; revoking it again is a conflict. ``actor`` must be allowed to change it
    (their own token, or one of the accounts they manage). Audited; the holder is told."""
    tokens = ApiToken.objects.all() if actor is None else ApiToken.objects.restrict(actor, "change")
    locked = tokens.select_for_update().filter(pk=token.pk).first()
    if locked is None:
        raise NotFound(_("No such API token."))
    if locked.revoked_at is not None:
        raise Conflict(
            _("This token is already revoked."),
            extra={"revoked_at": locked.revoked_at.isoformat()},
            code="token_revoked",
        )
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor
    locked.save(update_fields=["revoked_at", "revoked_by"])
    _token_audit(action="accounts.token_revoke", token=locked, actor=actor)
    notifications.notify_token_revoked(token=locked, actor=actor)
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
    if not token_speaks_for_its_issuer(token):
        raise TokenRejected("token revoked: issued for another person", code="token_revoked")
    token_record_use(token=token, now=now)
    return token


def token_speaks_for_its_issuer(token: ApiToken) -> bool:
    """Whether ``token`` was issued as tokens are: a person's by that person (or the command line), a
    system account's by anyone who managed it. Tokens issued for another person before that rule were
    revoked by migration ``0011``; this refuses any that slipped through."""
    if token.created_by_id is None or token.created_by_id == token.user_id:
        return True
    return token.user.role in SYSTEM_ROLES


LAST_USE_RESOLUTION = timedelta(minutes=1)


def token_record_use(*, token: ApiToken, now: datetime) -> bool:
    """Set ``last_used_at``, at most once a minute per token (a conditional UPDATE, so racing requests write once)."""
    if token.last_used_at is not None and token.last_used_at > now - LAST_USE_RESOLUTION:
        return False
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USE_RESOLUTION)
    updated = ApiToken.objects.filter(pk=token.pk).filter(stale).update(last_used_at=now)
    if updated:
        token.last_used_at = now
    return bool(updated)
