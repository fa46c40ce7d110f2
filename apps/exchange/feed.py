"""The pull feed: a partner reads its own messages, in order, with a cursor on ``feed_seq``.

The messages are the ones fan-out made for the partner (``Delivery`` rows with a ``feed_seq``),
tombstones included, rendered by the partner's adapter exactly as they are pushed: same
renderer, same bytes (``payload_sha256`` equals the pushed payload's hash), under the partner's
current policy version (a message made under an older one is decided again, see :func:`feed_message`).
A partner that may not receive personal data gets the scanner's verdict instead of a message
that would carry some.

Embargo: a message held by an embargo is not in the feed before it ends. It gets its
``feed_seq`` when it joins (``services.feed_number_due``, run before each read and by the
sweeper), after the messages already readable, so a reader following the cursor never skips it
and is never held back by it. A message withdrawn before its embargo ended never joins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import Role
from apps.core.actor import Actor
from apps.core.exceptions import PermissionDenied

from .adapters import adapter_for
from .choices import DeliveryMode, PartnerState
from .models import Delivery, PartnerSystem, SharingPolicy
from .policy import region_reason
from .scanner import refusal_reason
from .services import policy_now, redact_in_feed, superseded_at


@dataclass(frozen=True)
class FeedMessage:
    """One message of a partner's feed."""

    feed_seq: int
    event_id: str
    report_uuid: str
    report_version: int
    event: str
    mode: str
    created_at: Any
    payload_sha256: str
    message: Any
    withheld: str


def feed_partner(*, user: Actor) -> PartnerSystem:
    """The partner whose feed ``user`` reads: the partner system the account is linked to."""
    if user.role != Role.PARTNER_SYSTEM or not user.has_perm("exchange.view_delivery"):
        raise PermissionDenied(_("The feed is read with a partner system's account."))
    partner = PartnerSystem.objects.filter(account_id=user.pk).first()
    if partner is None:
        raise PermissionDenied(_("This account is not linked to a partner system."))
    if partner.state == PartnerState.DISABLED:
        raise PermissionDenied(_("%(name)s is disabled.") % {"name": partner.name})
    return partner


def feed_deliveries(*, partner: PartnerSystem) -> QuerySet[Delivery]:
    """The partner's messages that may be read now (those with a place in its feed), for ordering by ``feed_seq``.

    Each carries ``superseded_at``: when a later event about its report was made, if one was.
    """
    return (
        Delivery.objects.filter(partner=partner, feed_seq__isnull=False)
        .select_related("event", "policy")
        .annotate(superseded_at=superseded_at())
    )


def feed_message(
    *,
    partner: PartnerSystem,
    delivery: Delivery,
    receivable: Mapping[str, bool],
    current: SharingPolicy | None,
) -> FeedMessage:
    """A delivery rendered as the partner's adapter pushes it (checked by the scanner if need be).

    ``receivable`` (:func:`apps.exchange.selectors.partner_receivable_regions`) and ``current`` (the
    partner's current policy version) are read once per page. A message about a report of a region
    the partner may no longer receive (its agreement was revoked since) is withheld, as the push
    would refuse it. A message made under an older policy version is decided again under the current
    one: withheld, with the reason, if it no longer passes, else rendered under the current version,
    so a read never serves what an older version allowed. A superseded version past
    ``RILO_FEED_PERSONAL_RETENTION_DAYS`` is rendered without personal fields, as for a partner that
    may not receive any (see :mod:`apps.exchange.services.retention`).
    """
    event = delivery.event
    policy, refused = delivery.policy, ""
    if delivery.mode != DeliveryMode.TOMBSTONE:
        refused = region_reason(event.snapshot, partner, delivery.policy, receivable)
        if not refused and (current is None or current.pk != delivery.policy_id):
            now = policy_now(snapshot=event.snapshot, partner=partner, current=current, receivable=receivable)
            refused, policy = (now, policy) if isinstance(now, str) else ("", now)
    redacted = event.personal_scrubbed_at is not None or redact_in_feed(getattr(delivery, "superseded_at", None))
    personal = partner.personal_data_allowed and not redacted
    payload = adapter_for(partner).render(event.snapshot, policy, mode=delivery.mode, personal_allowed=personal)
    withheld = refused or ("" if personal else refusal_reason(payload))
    return FeedMessage(
        feed_seq=int(delivery.feed_seq or 0),
        event_id=str(event.uuid),
        report_uuid=str(delivery.report_uuid),
        report_version=event.report_version,
        event=event.type,
        mode=delivery.mode,
        created_at=delivery.created_at,
        payload_sha256=hashlib.sha256(payload).hexdigest(),
        message=None if withheld else json.loads(payload),
        withheld=withheld,
    )
