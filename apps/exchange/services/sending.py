"""Sending: render, scan and send one claimed delivery through its partner's adapter; record the attempt."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from contextlib import nullcontext
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from apps.audit.services import audit_record

from .. import kicks, reasons, sql
from ..adapters import Outcome, adapter_for
from ..choices import AttemptOutcome, DeliveryMode, DeliveryState, PartnerState
from ..endpoints import validate_endpoint
from ..models import Delivery, SharingPolicy
from ..policy import region_refusal
from ..scanner import refusal_part
from ..selectors import current_policies, partner_receivable_regions
from .claims import Claim, _lease, _random, deliveries_claim
from .partners import _partner_disable
from .replay import _current_message, policy_now

log = logging.getLogger(__name__)

# A Retry-After asking for more than a day is read as a day (the schedule's whole span).
MAX_RETRY_AFTER = 24 * 60 * 60.0


def _payload_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def retry_delay(attempt: int) -> float:
    """Seconds before the next try after failed attempt number ``attempt`` (exponential, capped, jittered)."""
    base = float(settings.RILO_EXCHANGE_RETRY_BASE_SECONDS)
    factor = float(settings.RILO_EXCHANGE_RETRY_FACTOR)
    cap = float(settings.RILO_EXCHANGE_RETRY_MAX_SECONDS)
    jitter = float(settings.RILO_EXCHANGE_RETRY_JITTER)
    delay = min(cap, base * factor ** max(0, attempt - 1))
    return delay * _random.uniform(1 - jitter, 1 + jitter)


def _current_policy(delivery: Delivery) -> SharingPolicy | None:
    """The partner's current policy version: no query when the delivery was read with it current
    (``current_policy_id``, see :func:`delivery_send`), else the process's cached versions."""
    if delivery.policy is not None and getattr(delivery, "current_policy_id", None) == delivery.policy_id:
        return delivery.policy
    return current_policies(partner_ids=[delivery.partner_id]).get(delivery.partner_id)


def _refusal_now(delivery: Delivery) -> tuple[SharingPolicy | None, str | reasons.Part]:
    """The policy a message not decided a moment ago (a retry, a sweep) is rendered under now, or why it is refused.

    An agreement revoked since the decision stops it; one decided under an older policy version is
    decided again under the current one (see :func:`apps.exchange.services.policy_now`). Tombstones
    (identifiers only) always go.
    """
    if delivery.mode == DeliveryMode.TOMBSTONE:
        return delivery.policy, ""
    partner = delivery.partner
    receivable = partner_receivable_regions(partner=partner)
    refusal = region_refusal(delivery.event.snapshot, partner, delivery.policy, receivable)
    if refusal:
        return None, reasons.part("no_longer_allowed", reason=[refusal])
    current = _current_policy(delivery)
    if current is not None and current.pk == delivery.policy_id:
        return delivery.policy, ""
    now = policy_now(snapshot=delivery.event.snapshot, partner=partner, current=current, receivable=receivable)
    return (None, now) if isinstance(now, str) else (now, "")


def _send(delivery: Delivery, payload: bytes | None = None) -> tuple[Outcome, str]:
    """Render, check and send one delivery; the outcome and the SHA-256 of what was (or would be) sent.

    ``payload`` is given when the fan-out in this process rendered and scanned it a moment ago.
    """
    partner = delivery.partner
    try:
        validate_endpoint(partner.endpoint_url)
    except ValidationError as error:
        bad = reasons.part("endpoint_refused", detail=" ".join(error.messages))
        return Outcome(AttemptOutcome.REFUSED, error=reasons.english([bad]), parts=(bad,)), ""
    adapter = adapter_for(partner)
    if payload is None:
        # Not decided a moment ago by this fan-out (a retry, a replay, a sweep): what goes out is what
        # the agreements and the partner's policy allow now.
        policy, refusal = _refusal_now(delivery)
        if isinstance(refusal, list):
            return Outcome(AttemptOutcome.REFUSED, error=reasons.english([refusal]), parts=(refusal,)), ""
        if refusal:
            return Outcome(AttemptOutcome.REFUSED, error=refusal), ""
        snapshot, mode = delivery.event.snapshot, delivery.mode
        if delivery.replayed_at is not None:
            # A replay: the report as it is now, under the partner's policy as it is now (or nothing).
            fresh = _current_message(delivery)
            if isinstance(fresh, str):
                return Outcome(AttemptOutcome.REFUSED, error=fresh), ""
            snapshot, policy, mode = fresh.snapshot, fresh.policy, fresh.mode
        payload = adapter.render(snapshot, policy, mode=mode, personal_allowed=partner.personal_data_allowed)
        if not partner.personal_data_allowed:
            found = refusal_part(payload)
            if found:
                refused = Outcome(AttemptOutcome.REFUSED, error=reasons.english([found]), parts=(found,))
                return refused, _payload_hash(payload)
    return adapter.send(payload, delivery), _payload_hash(payload)


def _new_state(delivery: Delivery, outcome: Outcome, now: dt.datetime) -> dict[str, Any]:
    kind = outcome.kind
    # The partner's own words (an error answer) stay as they are: no parts, the page shows the text.
    said = {"reason": outcome.error[:500], "reason_parts": list(outcome.parts)}
    if kind == AttemptOutcome.SUCCEEDED:
        return {"state": DeliveryState.SUCCEEDED, **reasons.both(), "completed_at": now, "next_attempt_at": None}
    if kind == AttemptOutcome.DUPLICATE:
        error = list(outcome.parts) or outcome.error  # our own sentence is said again in the reader's language
        had = reasons.part("already_had_error", error=error) if outcome.error else reasons.part("already_had")
        return {"state": DeliveryState.DUPLICATE, **reasons.both(had), "completed_at": now, "next_attempt_at": None}
    if kind == AttemptOutcome.GONE:
        return {"state": DeliveryState.PARTNER_DISABLED, **said, "next_attempt_at": None}
    if kind == AttemptOutcome.RETRY:
        if delivery.attempts >= int(settings.RILO_EXCHANGE_MAX_ATTEMPTS):
            last = list(outcome.parts) or outcome.error
            exhausted = reasons.part("exhausted", attempts=delivery.attempts, error=last)
            return {
                "state": DeliveryState.DEAD,
                **reasons.both(exhausted),
                "completed_at": now,
                "next_attempt_at": None,
            }
        if outcome.retry_after is not None:
            delay = min(outcome.retry_after, MAX_RETRY_AFTER)  # the partner's wish wins over the schedule
        else:
            delay = retry_delay(delivery.attempts)
        return {"state": DeliveryState.RETRY, **said, "next_attempt_at": now + dt.timedelta(seconds=delay)}
    return {"state": DeliveryState.NEEDS_ATTENTION, **said, "next_attempt_at": None}


# The partner's current policy version, read with the delivery (no query of its own per send).
_CURRENT_POLICY_ID = Subquery(
    SharingPolicy.objects.filter(partner_id=OuterRef("partner_id")).order_by("-version").values("pk")[:1]
)


def delivery_send(*, claim: Claim) -> str:
    """Send one claimed delivery and record the attempt; returns the delivery's state afterwards.

    A lease older than a quarter of its term is renewed before sending, and every write is
    conditional on still holding it, so a worker that lost its lease (and was replaced) cannot
    overwrite the newer outcome.
    """
    delivery = (
        Delivery.objects.select_related("event", "partner", "policy")
        .annotate(current_policy_id=_CURRENT_POLICY_ID)
        .get(pk=claim.delivery_id)
    )
    if delivery.leased_by != claim.token or delivery.state != DeliveryState.IN_FLIGHT:
        return str(delivery.state)
    return _attempt(delivery, claim)


def _attempt(delivery: Delivery, claim: Claim, payload: bytes | None = None) -> str:
    """Send a delivery this worker holds the lease of, and record the attempt (see :func:`delivery_send`)."""
    aged = time.monotonic() - claim.claimed_at > _lease().total_seconds() / 4
    if aged:
        owned = Delivery.objects.filter(pk=delivery.pk, leased_by=claim.token, state=DeliveryState.IN_FLIGHT)
        if not owned.update(lease_until=timezone.now() + _lease()):
            return str(Delivery.objects.values_list("state", flat=True).get(pk=delivery.pk))
    started = time.monotonic()
    outcome, payload_hash = _send(delivery, payload)
    latency_ms = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    changes = _new_state(delivery, outcome, now)
    # One statement records the attempt and the new state; only a 410 needs a transaction around more.
    with transaction.atomic() if outcome.kind == AttemptOutcome.GONE else nullcontext():
        updated, waiting = sql.attempt_record(
            state=changes["state"],
            reason=changes["reason"],
            reason_parts=json.dumps(changes["reason_parts"]),
            next_attempt_at=changes.get("next_attempt_at"),
            completed_at=changes.get("completed_at"),
            payload_hash=payload_hash,
            now=now,
            delivery=delivery.pk,
            token=claim.token,
            number=delivery.attempts,
            status_code=outcome.status_code,
            outcome=outcome.kind,
            latency_ms=latency_ms,
            error=outcome.error,
            error_parts=json.dumps(list(outcome.parts)),
            partner=delivery.partner_id,
            report_uuid=delivery.report_uuid,
            event=delivery.event_id,
        )
        if outcome.kind == AttemptOutcome.GONE:
            _partner_disable(partner=delivery.partner, reason=outcome.error)
            audit_record(
                actor=None,
                action="exchange.partner_disabled",
                obj=delivery.partner,
                detail={"state": PartnerState.DISABLED, "by": "partner answered 410 Gone"},
                region=delivery.partner.region,
            )
    if not updated:
        log.warning("Delivery %s: lease lost during the attempt; its outcome was recorded only.", delivery.pk)
        return str(Delivery.objects.values_list("state", flat=True).get(pk=delivery.pk))
    if waiting and changes["state"] in (DeliveryState.SUCCEEDED, DeliveryState.DUPLICATE):
        transaction.on_commit(partial(kicks.deliver, [waiting]))
    return str(changes["state"])


def delivery_send_one(*, delivery_id: int) -> str | None:
    """Claim and send one delivery if it is due and its partner has a free slot (else the sweeper will)."""
    claims = deliveries_claim(limit=1, delivery_ids=[delivery_id])
    return delivery_send(claim=claims[0]) if claims else None


def deliveries_send_due(*, batch: int, budget_seconds: float | None = None) -> int:
    """Claim and send up to ``batch`` due deliveries, a few at a time, within a time budget."""
    budget = budget_seconds if budget_seconds is not None else float(settings.RILO_EXCHANGE_LEASE_SECONDS) / 2
    deadline = time.monotonic() + budget
    sent = 0
    while sent < batch and time.monotonic() < deadline:
        claims = deliveries_claim(limit=min(4, batch - sent))
        if not claims:
            break
        for claim in claims:
            delivery_send(claim=claim)
            sent += 1
    return sent
