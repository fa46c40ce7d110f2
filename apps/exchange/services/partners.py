"""Partner systems as RILO administrators manage them: register, change, pause/resume/disable, rotate the
signing secret, issue the partner account's tokens.

Every write checks the actor's capability and reach first (:func:`partner_require_manager`; a new
partner's RILO is the actor's, never taken from input), then checks endpoints, encrypts secrets,
audits. A partner answering 410 Gone is disabled by the sending engine through :func:`_partner_disable`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import ApiToken, User
from apps.accounts.roles import Role
from apps.accounts.services import token_issue, user_create
from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import ApplicationError, Conflict, PermissionDenied
from apps.tenancy.models import Administration

from .. import crypto, reasons
from ..choices import OPEN_STATES, PERSONAL_DATA_CAPABILITY, AdapterKind, DeliveryState, PartnerState
from ..endpoints import validate_endpoint
from ..models import Delivery, PartnerSystem
from ..notifications import notify_personal_data_change
from ..selectors import source_administration_choices
from .access import partner_require_manager
from .agreements import _agreements_ask_again
from .endpoint_change import _host_change, _require_new_credentials

MAX_OVERLAP = dt.timedelta(days=7)
MIN_SECRET_BYTES = 16


# --- checks ------------------------------------------------------------------------------------


def _check_source_administration(actor: Actor, administration: Administration | None) -> None:
    if (
        administration is not None
        and not source_administration_choices(actor=actor).filter(pk=administration.pk).exists()
    ):
        message = _("Choose one of your RILO's active member administrations.")
        raise ValidationError({"source_administration": [message]})


def _check_inbound_secret(secret: str) -> None:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of at least 16 random bytes."""
    message = _("Paste the secret exactly as the partner gave it: whsec_ followed by base64 text.")
    prefix = "whsec_"
    try:
        key = base64.b64decode(secret[len(prefix) :], validate=True) if secret.startswith(prefix) else b""
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < MIN_SECRET_BYTES:
        raise ValidationError({"inbound_secret": [message]})


def _require_personal_data_capability(actor: Actor, field: str) -> None:
    """Letting personal data go to a partner is a capability of its own, not part of "change partner"."""
    if not actor.has_perm(PERSONAL_DATA_CAPABILITY):
        raise PermissionDenied(
            _("Allowing personal data for a partner system needs its own capability, which you do not hold."),
            extra={field: [_("You may not change whether this partner receives personal data.")]},
        )


def _personal_data_changed(*, actor: Actor, partner: PartnerSystem, what: dict[str, Any]) -> None:
    """Audit a change of what personal data a partner may receive, and tell its region's auditors after commit."""
    audit_record(actor=actor, action="exchange.partner_personal_data", obj=partner, detail=what, region=partner.region)
    notify_personal_data_change(
        region_id=partner.region_id,
        partner_name=partner.name,
        actor_name=getattr(actor, "username", ""),
        allowed=bool(what.get("personal_data_allowed", what.get("personal_data"))),
        policy_version=what.get("policy_version"),
    )


def _link_new_account(*, partner: PartnerSystem, username: str) -> User:
    if partner.account_id:
        raise ValidationError(
            {
                "account_username": [
                    _("%(partner)s already has the account %(account)s.")
                    % {"partner": partner.name, "account": partner.account}
                ]
            }
        )
    try:
        account = user_create(actor=None, username=username, role=Role.PARTNER_SYSTEM, first_name=partner.name[:150])
    except ApplicationError as error:
        raise ValidationError({"account_username": error.extra.get("username") or [error.message]}) from error
    partner.account = account
    partner.save(update_fields=["account", "updated_at"])
    return account


# --- the partner row ---------------------------------------------------------------------------


def _new_signing_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_endpoint(url: str) -> None:
    try:
        validate_endpoint(url)
    except ValidationError as error:
        raise ValidationError({"endpoint_url": error.messages}) from error


def _partner_change(
    partner: PartnerSystem,
    *,
    endpoint_url: str | None = None,
    credentials: dict[str, str] | None = None,
    max_in_flight: int | None = None,
    contact_email: str | None = None,
    personal_data_allowed: bool | None = None,
) -> None:
    """Change a partner's endpoint, credentials or limits; a new endpoint is checked again."""
    if endpoint_url is not None:
        partner.endpoint_url = endpoint_url
    if credentials is not None:
        partner.credentials_encrypted = crypto.encrypt(json.dumps(credentials)) if credentials else ""
    if max_in_flight is not None:
        partner.max_in_flight = max_in_flight
    if contact_email is not None:
        partner.contact_email = contact_email
    if personal_data_allowed is not None:
        partner.personal_data_allowed = personal_data_allowed
    partner.full_clean(exclude=None if endpoint_url is not None else ["endpoint_url"])
    partner.save()


def _signing_secret_rotate(partner: PartnerSystem, overlap: dt.timedelta) -> str:
    """A new signing secret, shown this once; the previous one keeps signing until the overlap ends."""
    now = timezone.now()
    secret = _new_signing_secret()
    partner.previous_signing_secret_encrypted = partner.signing_secret_encrypted
    partner.previous_secret_valid_until = now + overlap if partner.signing_secret_encrypted else None
    partner.signing_secret_encrypted = crypto.encrypt(secret)
    partner.secret_rotated_at = now
    partner.save(
        update_fields=[
            "previous_signing_secret_encrypted",
            "previous_secret_valid_until",
            "signing_secret_encrypted",
            "secret_rotated_at",
            "updated_at",
        ]
    )
    return secret


def _set_state(partner: PartnerSystem, state: str, reason: str) -> None:
    partner.state = state
    partner.state_reason = reason[:500]
    partner.state_changed_at = timezone.now()
    partner.save(update_fields=["state", "state_reason", "state_changed_at", "updated_at"])


def _partner_disable(*, partner: PartnerSystem, reason: str) -> PartnerSystem:
    """Stop delivering to a partner; its open deliveries become ``partner_disabled`` with the reason.

    Also what the sending engine does when a partner answers 410 Gone (it audits that itself).
    """
    with transaction.atomic():
        now = timezone.now()
        PartnerSystem.objects.filter(pk=partner.pk).update(
            state=PartnerState.DISABLED, state_reason=reason[:500], state_changed_at=now, updated_at=now
        )
        Delivery.objects.filter(partner_id=partner.pk, state__in=sorted(OPEN_STATES)).update(
            state=DeliveryState.PARTNER_DISABLED,
            **reasons.both(reasons.part("partner_disabled", reason=reason)),
            lease_until=None,
            next_attempt_at=None,
        )
    partner.refresh_from_db()
    return partner


# --- writes ------------------------------------------------------------------------------------


@transaction.atomic
def partner_create(
    *,
    actor: Actor,
    name: str,
    adapter: str,
    endpoint_url: str,
    credentials: dict[str, str] | None = None,
    max_in_flight: int = 4,
    contact_email: str = "",
    personal_data_allowed: bool = False,
    source_administration: Administration | None = None,
    peer_identity: str = "",
    inbound_secret: str = "",
    account_username: str = "",
) -> tuple[PartnerSystem, str]:
    """Register a partner of the actor's RILO; returns it and its signing secret, shown this once.

    With ``account_username`` a partner-system account is created and linked (its API tokens
    read the feed and push reports in). ``inbound_secret`` is the secret the partner signs the
    reports it pushes in with; it is stored encrypted and never shown again.
    """
    if not actor.has_perm("exchange.add_partnersystem") or not actor.region_id:
        raise PermissionDenied(_("Only RILO administrators register partner systems."))
    if personal_data_allowed:
        _require_personal_data_capability(actor, "personal_data_allowed")
    _check_source_administration(actor, source_administration)
    if inbound_secret:
        _check_inbound_secret(inbound_secret)
    if PartnerSystem.objects.filter(name__iexact=name.strip()).exists():
        raise ValidationError({"name": [_("A partner system with this name exists already.")]})
    secret = _new_signing_secret() if adapter == AdapterKind.WEBHOOK else ""
    partner = PartnerSystem(
        name=name.strip(),
        adapter=adapter,
        endpoint_url=endpoint_url,
        credentials_encrypted=crypto.encrypt(json.dumps(credentials)) if credentials else "",
        signing_secret_encrypted=crypto.encrypt(secret),
        inbound_secret_encrypted=crypto.encrypt(inbound_secret) if inbound_secret else "",
        personal_data_allowed=personal_data_allowed,
        max_in_flight=max_in_flight,
        contact_email=contact_email,
        region_id=actor.region_id,
        source_administration=source_administration,
        peer_identity=peer_identity.strip(),
        state_changed_at=timezone.now(),
    )
    partner.full_clean()  # the endpoint: public HTTPS outside local/test settings
    partner.save()
    if account_username:
        _link_new_account(partner=partner, username=account_username.strip())
    audit_record(
        actor=actor,
        action="exchange.partner_create",
        obj=partner,
        detail={"adapter": adapter, "personal_data_allowed": personal_data_allowed},
        region=partner.region,
    )
    if personal_data_allowed:
        _personal_data_changed(actor=actor, partner=partner, what={"personal_data_allowed": True})
    return partner, secret


@transaction.atomic
def partner_update(
    *,
    actor: Actor,
    partner: PartnerSystem,
    name: str | None = None,
    adapter: str | None = None,
    endpoint_url: str | None = None,
    credentials: dict[str, str] | None = None,
    max_in_flight: int | None = None,
    contact_email: str | None = None,
    personal_data_allowed: bool | None = None,
    source_administration: Administration | bool | None = False,
    peer_identity: str | None = None,
    inbound_secret: str | None = None,
    account_username: str = "",
    state: str | None = None,
    state_reason: str = "",
) -> tuple[PartnerSystem, str]:
    """Change a partner of the actor's RILO. ``None`` (``False`` for the administration) leaves a value as it is.

    Returns the partner and, if its endpoint moved to another host, its new signing secret (shown
    once; "" otherwise). Such a move needs the credentials again (see
    :mod:`apps.exchange.endpoint_change`). Changing the adapter to a JSON webhook gives a partner
    without a signing secret a new one only through :func:`partner_secret_rotate` (shown once
    there). A state change pauses, resumes or disables the partner (see :func:`partner_state_set`).
    """
    partner_require_manager(actor=actor, partner=partner)
    locked = PartnerSystem.objects.select_for_update().get(pk=partner.pk)
    moved = _host_change(locked.endpoint_url, endpoint_url)
    _require_new_credentials(moved, credentials)
    changed: list[str] = []
    personal_change = personal_data_allowed is not None and personal_data_allowed != locked.personal_data_allowed
    if personal_change:
        _require_personal_data_capability(actor, "personal_data_allowed")
    if source_administration is not False:
        administration = source_administration if isinstance(source_administration, Administration) else None
        _check_source_administration(actor, administration)
        if locked.source_administration_id != (administration.pk if administration else None):
            locked.source_administration = administration
            changed.append("source_administration")
    if name is not None and name.strip() != locked.name:
        if PartnerSystem.objects.filter(name__iexact=name.strip()).exclude(pk=locked.pk).exists():
            raise ValidationError({"name": [_("A partner system with this name exists already.")]})
        locked.name = name.strip()
        changed.append("name")
    if adapter is not None and adapter != locked.adapter:
        if adapter not in AdapterKind.values:
            raise ValidationError({"adapter": [_("Choose a JSON webhook or TAXII 2.1.")]})
        locked.adapter = adapter
        changed.append("adapter")
    if peer_identity is not None and peer_identity.strip() != locked.peer_identity:
        locked.peer_identity = peer_identity.strip()
        changed.append("peer_identity")
    if inbound_secret:
        _check_inbound_secret(inbound_secret)
        locked.inbound_secret_encrypted = crypto.encrypt(inbound_secret)
        changed.append("inbound_secret")
    if changed:
        locked.full_clean(exclude=["endpoint_url"])
        locked.save()
    updates: dict[str, Any] = {
        "endpoint_url": endpoint_url if endpoint_url != locked.endpoint_url else None,
        "credentials": credentials,
        "max_in_flight": max_in_flight if max_in_flight != locked.max_in_flight else None,
        "contact_email": contact_email if contact_email != locked.contact_email else None,
        "personal_data_allowed": (
            personal_data_allowed if personal_data_allowed != locked.personal_data_allowed else None
        ),
    }
    if any(value is not None for value in updates.values()):
        _partner_change(locked, **updates)
        changed += [key for key, value in updates.items() if value is not None]
    new_secret = ""
    if moved is not None:
        if locked.adapter == AdapterKind.WEBHOOK:
            # The old host's secret stops signing at once: no overlap for another receiver.
            new_secret = _signing_secret_rotate(locked, dt.timedelta(0))
            changed.append("signing_secret")
        audit_record(
            actor=actor,
            action="exchange.partner_endpoint_host_change",
            obj=locked,
            detail={"old_host": moved[0], "new_host": moved[1], "secret_rotated": bool(new_secret)},
            region=locked.region,
        )
        if _agreements_ask_again(actor=actor, partner=locked, moved=moved):
            changed.append("agreements")
    if account_username:
        _link_new_account(partner=locked, username=account_username.strip())
        changed.append("account")
    if state is not None and state != locked.state:
        partner_state_set(actor=actor, partner=locked, state=state, reason=state_reason)
        changed.append("state")
    if changed:
        audit_record(
            actor=actor,
            action="exchange.partner_update",
            obj=locked,
            detail={"fields": sorted(changed)},
            region=locked.region,
        )
    if personal_change:
        _personal_data_changed(actor=actor, partner=locked, what={"personal_data_allowed": bool(personal_data_allowed)})
    locked.refresh_from_db()
    return locked, new_secret


@transaction.atomic
def partner_state_set(*, actor: Actor, partner: PartnerSystem, state: str, reason: str = "") -> PartnerSystem:
    """Pause (deliveries held), resume, or disable (open deliveries closed) a partner of the actor's RILO."""
    partner_require_manager(actor=actor, partner=partner)
    reason = (reason or "").strip()
    if state == PartnerState.PAUSED:
        if not reason:
            raise ValidationError({"state_reason": [_("Say why the partner is paused.")]})
        if partner.state != PartnerState.ACTIVE:
            raise Conflict(
                _("%(name)s is “%(state)s”, not active.") % {"name": partner.name, "state": partner.get_state_display()}
            )
        _set_state(partner, PartnerState.PAUSED, reason)
        result = partner
    elif state == PartnerState.DISABLED:
        if not reason:
            raise ValidationError({"state_reason": [_("Say why the partner is disabled.")]})
        if partner.state == PartnerState.DISABLED:
            raise Conflict(_("%(name)s is disabled already.") % {"name": partner.name})
        result = _partner_disable(partner=partner, reason=reason)
    elif state == PartnerState.ACTIVE:
        if partner.state == PartnerState.ACTIVE:
            raise Conflict(_("%(name)s is active already.") % {"name": partner.name})
        try:
            _check_endpoint(partner.endpoint_url)
        except ValidationError as error:
            raise ValidationError({"state": error.messages}) from error
        _set_state(partner, PartnerState.ACTIVE, "")
        result = partner
    else:
        raise ValidationError({"state": [_("Choose active, paused or disabled.")]})
    audit_record(
        actor=actor,
        action=f"exchange.partner_{state}",
        obj=partner,
        detail={"state": state, "reason_given": bool(reason)},
        region=partner.region,
    )
    return result


@transaction.atomic
def partner_secret_rotate(*, actor: Actor, partner: PartnerSystem, overlap: dt.timedelta) -> str:
    """A new signing secret for a partner of the actor's RILO, shown once; the old one signs too during ``overlap``."""
    partner_require_manager(actor=actor, partner=partner)
    if partner.adapter != AdapterKind.WEBHOOK:
        raise Conflict(_("Only JSON webhook partners have a signing secret."))
    if not dt.timedelta(0) <= overlap <= MAX_OVERLAP:
        raise ValidationError({"overlap_hours": [_("Choose an overlap between 0 and 168 hours.")]})
    secret = _signing_secret_rotate(partner, overlap)
    audit_record(
        actor=actor,
        action="exchange.partner_rotate_secret",
        obj=partner,
        detail={"overlap_seconds": int(overlap.total_seconds())},
        region=partner.region,
    )
    return secret


@transaction.atomic
def partner_account_token_issue(
    *, actor: Actor, partner: PartnerSystem, name: str, scopes: list[str], days: int
) -> tuple[ApiToken, str]:
    """An API token for the partner's own account (feed: read; pushing reports in: write), shown once.

    Partner-system accounts belong to no RILO, so the accounts pages do not reach them; the
    partner's RILO administrators issue their tokens here.
    """
    partner_require_manager(actor=actor, partner=partner)
    if partner.account is None:
        raise ValidationError(
            {"name": [_("%(partner)s has no account yet; give it one on the edit page.") % {"partner": partner.name}]}
        )
    return token_issue(
        user=partner.account,
        name=name,
        scopes=scopes,
        expires_at=timezone.now() + dt.timedelta(days=days),
        actor=cast(User, actor),  # token_issue checks the actor manages this partner's account; it audits
    )
