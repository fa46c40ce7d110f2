"""Writes of the exchange app: the outbox, fan-out, claiming and sending deliveries, partners, policies.

The path of an approved report (DESIGN.md section 6):

1. :func:`outbox_record` — called by the reports workflow services in their transaction —
   writes an :class:`OutboxEvent` with an immutable snapshot and, after commit, kicks a worker.
2. :func:`event_fan_out` writes one :class:`Delivery` per partner, decided by the partner's
   current policy (deliver, skip with a reason, hold for an embargo, refuse if the scanner finds
   personal data for a partner that may not have any).
3. :func:`deliveries_claim` leases due deliveries (``FOR UPDATE SKIP LOCKED``, at most
   ``max_in_flight`` per partner, one report's messages in order); :func:`delivery_send` renders,
   scans, sends through the partner's adapter and records the attempt and the new state.
4. :func:`exchange_sweep` (Celery beat, every few seconds) fans out events nobody fanned out and
   hands due deliveries — including those whose worker died (lease expired) — to workers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import secrets
import socket
import time
import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, OuterRef, Subquery, When
from django.utils import timezone
from django.utils.text import capfirst

from apps.audit.services import audit_record
from apps.core.exceptions import Conflict
from apps.core.rows import Reader, insert
from apps.reports.models import Report

from . import crypto, kicks
from .adapters import Outcome, adapter_for
from .choices import (
    OPEN_STATES,
    REACHED_STATES,
    REPLAYABLE_STATES,
    AdapterKind,
    AttemptOutcome,
    DeliveryMode,
    DeliveryState,
    EventType,
    PartnerState,
)
from .endpoints import validate_endpoint
from .models import Delivery, DeliveryAttempt, OutboxEvent, PartnerSystem, SharingPolicy
from .policy import decide, region_reason, validate_policy
from .replay import current_message, policy_now
from .scanner import refusal_reason
from .selectors import current_policy_versions, partner_receivable_regions, receivable_regions
from .snapshot import build_snapshot

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key serialising feed_seq assignment, so feed numbers become visible in order.
FEED_LOCK = 0x52494C4F  # "RILO"
_random = secrets.SystemRandom()
# A Retry-After asking for more than a day is read as a day (the schedule's whole span).
MAX_RETRY_AFTER = 24 * 60 * 60.0


# --- the outbox --------------------------------------------------------------------------------


def outbox_record(*, report: Report, event_type: str) -> OutboxEvent:
    """Write an outbox event for ``report`` in the caller's transaction; kick a worker after commit.

    Call it from the workflow service, after the transition is saved (the snapshot is read from
    the database): ``approved`` for an approval, ``corrected`` for a new approved version,
    ``withdrawn`` for a withdrawal. If the transaction rolls back, nothing is ever delivered.
    """
    if event_type not in EventType.values:
        raise ValueError(f"Unknown outbox event type {event_type!r}.")
    event_uuid = uuid.uuid4()
    at = timezone.now()
    # No savepoint: if the outbox row cannot be written, the whole transition must roll back.
    with transaction.atomic(savepoint=False):
        snapshot = build_snapshot(report, event_type=event_type, event_uuid=str(event_uuid), at=at)
        [event] = insert(
            [
                OutboxEvent(
                    uuid=event_uuid,
                    report_uuid=report.uuid,
                    report_version=snapshot["version"],
                    type=event_type,
                    snapshot=snapshot,
                    created_at=at,
                )
            ]
        )
        transaction.on_commit(partial(kicks.fan_out, event.pk))
    return event


def _payload_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True)
class Leased:
    """A delivery leased to this worker at fan-out, with the bytes already rendered and checked for it."""

    delivery: Delivery
    payload: bytes
    claim: Claim


def event_fan_out(*, event_id: int) -> list[int]:
    """Create the deliveries of one outbox event, once; queue those due now. Returns their ids.

    Safe to call concurrently and repeatedly: the event row is locked (others skip it) and an
    event already fanned out is left alone.
    """
    due, _ = _fan_out(event_id, lease=False)
    return due


def event_deliver(*, event_id: int) -> dict[str, str]:
    """Fan out one outbox event and send its due deliveries from this worker, without a round trip via the broker.

    The deliveries a partner has a free slot for are leased in the fan-out's own transaction and
    sent right after its commit; the rest are queued as :func:`event_fan_out` does. Sending stops
    after ``RILO_EXCHANGE_INLINE_SECONDS`` (a slow partner): the leases not yet used are given back
    and those deliveries queued for other workers. A worker that dies in between leaves leases that
    expire, and the sweeper hands those deliveries on.
    Returns the state of each delivery sent, by id.
    """
    _, leased = _fan_out(event_id, lease=True)
    deadline = time.monotonic() + float(settings.RILO_EXCHANGE_INLINE_SECONDS)
    states: dict[str, str] = {}
    for index, item in enumerate(leased):
        if time.monotonic() > deadline:
            # A slow partner used this worker's time: the other partners' messages go to other workers.
            _release([later.claim for later in leased[index:]])
            break
        states[str(item.claim.delivery_id)] = _attempt(item.delivery, item.claim, payload=item.payload)
    return states


def _release(claims: Sequence[Claim]) -> None:
    """Give back leases taken at fan-out and not used (no attempt was made), and queue those deliveries."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE exchange_delivery
            SET state = 'pending', attempts = attempts - 1, lease_until = NULL, leased_by = '',
                next_attempt_at = %(now)s, updated_at = %(now)s
            WHERE id = ANY(%(ids)s) AND leased_by = ANY(%(tokens)s) AND state = 'in_flight'
            RETURNING id
            """,
            {"ids": [c.delivery_id for c in claims], "tokens": [c.token for c in claims], "now": timezone.now()},
        )
        released = [row[0] for row in cursor.fetchall()]
    transaction.on_commit(partial(kicks.deliver, released))


# Lock the partner rows (in id order, as every claimer does) and count their free slots.
_FREE_SLOTS = """
    SELECT p.id, p.max_in_flight - (
        SELECT count(*) FROM exchange_delivery f
        WHERE f.partner_id = p.id AND f.state = 'in_flight' AND f.lease_until > %(now)s
    )
    FROM exchange_partnersystem p
    WHERE p.id = ANY(%(partners)s) AND p.state = 'active'
    ORDER BY p.id
    FOR NO KEY UPDATE OF p
"""


def _lease_at_fan_out(deliveries: list[Delivery], held: set[int], now: dt.datetime) -> None:
    """Lease the due deliveries whose partner has a free slot and nothing earlier to send about this report."""
    candidates = [d for d in deliveries if d.partner_id not in held]
    if not candidates:
        return
    with connection.cursor() as cursor:
        cursor.execute(_FREE_SLOTS, {"now": now, "partners": sorted({d.partner_id for d in candidates})})
        slots = dict(cursor.fetchall())
    lease_until = now + _lease()
    for delivery in candidates:
        if slots.get(delivery.partner_id, 0) <= 0:
            continue
        slots[delivery.partner_id] -= 1
        delivery.state = DeliveryState.IN_FLIGHT
        delivery.attempts = 1
        delivery.lease_until = lease_until
        delivery.leased_by = worker_token()


# Every partner system, read by each fan-out.
_PARTNERS = Reader(PartnerSystem, "ORDER BY id")

# Take an event nobody has fanned out (skipping one another worker holds) and mark it done, in one
# statement; the rest of the fan-out happens in the same transaction, so a failure undoes the mark.
_TAKE_EVENT = """
    UPDATE exchange_outboxevent SET fanned_out_at = %(now)s
    WHERE id = (
        SELECT id FROM exchange_outboxevent
        WHERE id = %(event)s AND fanned_out_at IS NULL
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, uuid, report_uuid, report_version, type, snapshot, created_at
"""
# What fan-out needs to know of the report: is it marked a duplicate now; which partners have an
# earlier message about it still to send (open), and which got or may have got one (reached: by
# push, or by reading it in the pull feed).
_REPORT_STATE = """
    SELECT
        EXISTS (SELECT 1 FROM reports_report WHERE uuid = %(report)s AND duplicate_of_id IS NOT NULL),
        ARRAY(SELECT DISTINCT partner_id FROM exchange_delivery
              WHERE report_uuid = %(report)s AND event_id <> %(event)s AND state = ANY(%(open)s)),
        ARRAY(SELECT DISTINCT partner_id FROM exchange_delivery
              WHERE report_uuid = %(report)s AND event_id <> %(event)s
                AND (state = ANY(%(reached)s) OR feed_seq IS NOT NULL)),
        ARRAY(SELECT DISTINCT partner_id FROM exchange_delivery
              WHERE report_uuid = %(report)s AND event_id <> %(event)s
                AND feed_seq IS NULL AND feed_from IS NOT NULL)
"""
# Feed numbers for the new messages, drawn under a transaction-level lock so they become visible
# in order (the lock is taken by the filter, before the first number is drawn).
_FEED_NUMBERS = """
    SELECT nextval('exchange_feed_seq') FROM generate_series(1, %(count)s)
    WHERE pg_advisory_xact_lock(%(lock)s) IS NOT NULL
"""


def _feed_numbers(count: int) -> list[int]:
    """``count`` new feed numbers, increasing; the caller's transaction holds the feed lock until it ends."""
    with connection.cursor() as cursor:
        cursor.execute(_FEED_NUMBERS, {"lock": FEED_LOCK, "count": count})
        return sorted(row[0] for row in cursor.fetchall())


# Messages whose embargo has ended and that have no place in the pull feed yet (of one partner, or all).
_FEED_WAITING = """
    SELECT id FROM exchange_delivery d
    WHERE feed_seq IS NULL AND feed_from <= %(now)s AND (%(partner)s::bigint IS NULL OR partner_id = %(partner)s)
      AND NOT EXISTS (
          SELECT 1 FROM exchange_delivery e
          WHERE e.partner_id = d.partner_id AND e.report_uuid = d.report_uuid AND e.event_id < d.event_id
            AND e.feed_seq IS NULL AND e.feed_from IS NOT NULL
      )
    ORDER BY feed_from, id
"""


def feed_number_due(*, partner_id: int | None = None) -> int:
    """Give the messages whose embargo has ended their place in the pull feed (``feed_seq``), in the
    order their embargoes ended; return how many. Run before a partner reads its feed, and by the sweeper.

    The numbers are drawn under the feed lock, so they become visible in order: a reader's cursor
    never passes a message that joins the feed later. Rows another transaction holds are left to
    the next run.
    """
    now = timezone.now()
    params = {"now": now, "partner": partner_id}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({_FEED_WAITING})", params)
        if not cursor.fetchone()[0]:
            return 0  # the usual case: no lock taken
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK])
        cursor.execute(f"{_FEED_WAITING} FOR UPDATE SKIP LOCKED", params)
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return 0
        numbers = _feed_numbers(len(ids))
        cursor.execute(
            """
            UPDATE exchange_delivery d SET feed_seq = joined.seq
            FROM unnest(%s::bigint[], %s::bigint[]) AS joined(id, seq) WHERE d.id = joined.id
            """,
            [ids, numbers],
        )
    return len(ids)


def _take_event(event_id: int, now: dt.datetime) -> OutboxEvent | None:
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_EVENT, {"event": event_id, "now": now})
        row = cursor.fetchone()
    if row is None:
        return None
    pk, event_uuid, report_uuid, version, event_type, snapshot, created_at = row
    return OutboxEvent(
        pk=pk,
        uuid=event_uuid,
        report_uuid=report_uuid,
        report_version=version,
        type=event_type,
        snapshot=json.loads(snapshot) if isinstance(snapshot, str | bytes) else snapshot,  # jsonb comes as text
        created_at=created_at,
        fanned_out_at=now,
    )


def _fan_out(event_id: int, *, lease: bool) -> tuple[list[int], list[Leased]]:
    with transaction.atomic():
        now = timezone.now()
        event = _take_event(event_id, now)
        if event is None:
            return [], []
        partners = _PARTNERS.all()
        policies = current_policy_versions(partner_ids=[p.pk for p in partners])
        receivable = receivable_regions(partner_ids=[p.pk for p in partners])
        if event.type == EventType.WITHDRAWN:
            # Versions still waiting for their first attempt (an embargo, a paused partner) never leave.
            # Nor do they join the pull feed, if their embargo kept them out of it so far.
            Delivery.objects.filter(
                report_uuid=event.report_uuid, state=DeliveryState.PENDING, attempts=0, event_id__lt=event.pk
            ).update(
                state=DeliveryState.SKIPPED_BY_POLICY,
                reason="withdrawn before it was sent",
                next_attempt_at=None,
                feed_from=Case(When(feed_seq__isnull=True, then=None), default=F("feed_from")),
            )
        with connection.cursor() as cursor:
            cursor.execute(
                _REPORT_STATE,
                {
                    "report": event.report_uuid,
                    "event": event.pk,
                    "open": sorted(OPEN_STATES),
                    "reached": sorted(REACHED_STATES),
                },
            )
            marked_duplicate, open_ids, reached_ids, waiting_ids = cursor.fetchone()
        held = set(open_ids)  # partners with an earlier message about this report still to send
        reached = set(reached_ids)
        duplicate_now = event.type != EventType.WITHDRAWN and marked_duplicate
        deliveries = []
        payloads: dict[int, bytes] = {}
        for partner in partners:
            policy = policies.get(partner.pk)
            decision = decide(
                snapshot=event.snapshot,
                partner=partner,
                policy=policy,
                previously_reached=partner.pk in reached,
                receivable=receivable.get(partner.pk, {}),
                currently_duplicate=duplicate_now,
            )
            delivery = Delivery(
                event=event,
                partner=partner,
                policy=policy,
                report_uuid=event.report_uuid,
                mode=decision.mode,
                state=decision.state,
                reason=decision.reason[:500],
                created_at=now,
            )
            if decision.state == DeliveryState.PENDING:
                payload = adapter_for(partner).render(
                    event.snapshot, policy, mode=decision.mode, personal_allowed=partner.personal_data_allowed
                )
                delivery.payload_hash = _payload_hash(payload)
                refusal = "" if partner.personal_data_allowed else refusal_reason(payload)
                if refusal:
                    delivery.state = DeliveryState.NEEDS_ATTENTION
                    delivery.reason = refusal[:500]
                else:
                    delivery.next_attempt_at = max(now, decision.not_before or now)
                    payloads[id(delivery)] = payload
            deliveries.append(delivery)

        # Every message is in the partner's pull feed from the end of its embargo (at once, mostly).
        feed = [d for d in deliveries if d.state == DeliveryState.PENDING]
        for delivery in feed:
            delivery.feed_from = delivery.next_attempt_at
        # A message joins the feed after every earlier one about the report (one still held by its
        # embargo keeps the later ones waiting too): the feed never shows versions out of order.
        waiting = set(waiting_ids)
        readable = [d for d in feed if d.feed_from is not None and d.feed_from <= now and d.partner_id not in waiting]
        due = [
            d
            for d in feed
            if d.next_attempt_at is not None and d.next_attempt_at <= now and d.partner.state == PartnerState.ACTIVE
        ]
        if lease:
            _lease_at_fan_out(due, held, now)
        if readable:
            for delivery, number in zip(readable, _feed_numbers(len(readable)), strict=True):
                delivery.feed_seq = number
        insert(deliveries)
        queued = [d.pk for d in due if d.state == DeliveryState.PENDING]
        transaction.on_commit(partial(kicks.deliver, queued))
    leased = [
        Leased(delivery=d, payload=payloads[id(d)], claim=Claim(delivery_id=d.pk, token=d.leased_by))
        for d in due
        if d.state == DeliveryState.IN_FLIGHT
    ]
    return [d.pk for d in due], leased


# --- claiming ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A delivery leased to one worker; ``token`` proves the lease is still ours."""

    delivery_id: int
    token: str
    claimed_at: float = field(default_factory=time.monotonic)


def worker_token() -> str:
    """A unique lease token naming the worker process holding it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(settings.RILO_EXCHANGE_LEASE_SECONDS))


# Due: waiting and due by ``due_by`` (now, or for the sweeper a grace period ago), or leased to a
# worker whose lease has expired.
_DUE = """
    ((d.state IN ('pending', 'retry') AND d.next_attempt_at <= %(due_by)s)
     OR (d.state = 'in_flight' AND d.lease_until <= %(now)s))
"""
# A report's messages to one partner go out in order: nothing overtakes an earlier open one.
_IN_ORDER = """
    NOT EXISTS (
        SELECT 1 FROM exchange_delivery e
        WHERE e.partner_id = d.partner_id AND e.report_uuid = d.report_uuid
          AND e.event_id < d.event_id AND e.state IN ('pending', 'retry', 'in_flight')
    )
"""
# Lease due deliveries of one partner, no more than its free slots (max_in_flight minus live
# leases, counted after the partner row is locked), skipping rows another worker holds.
_CLAIM = """
    WITH candidates AS (
        SELECT d.id, d.state, d.attempts, d.leased_by FROM exchange_delivery d
        WHERE d.partner_id = %(partner)s AND {due} {only} AND {in_order}
        ORDER BY d.next_attempt_at, d.id
        LIMIT GREATEST(0, LEAST(%(limit)s, %(max_in_flight)s - (
            SELECT count(*) FROM exchange_delivery f
            WHERE f.partner_id = %(partner)s AND f.state = 'in_flight' AND f.lease_until > %(now)s
        )))
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE exchange_delivery u
    SET state = 'in_flight', lease_until = %(lease_until)s, leased_by = %(token)s || ':' || u.id,
        attempts = u.attempts + 1, updated_at = %(now)s
    FROM candidates c WHERE u.id = c.id
    RETURNING u.id, c.state, c.attempts, c.leased_by, u.leased_by
"""


def _partners_with_due(now: dt.datetime, delivery_ids: Sequence[int] | None) -> list[int]:
    only = "AND d.id = ANY(%(ids)s)" if delivery_ids is not None else ""
    sql = f"""
        SELECT DISTINCT d.partner_id FROM exchange_delivery d
        JOIN exchange_partnersystem p ON p.id = d.partner_id
        WHERE p.state = 'active' AND {_DUE} {only}
    """  # noqa: S608 (fixed fragments, values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "due_by": now, "ids": list(delivery_ids or [])})
        partner_ids = [row[0] for row in cursor.fetchall()]
    _random.shuffle(partner_ids)
    return partner_ids


def _claim_for_partner(
    partner_id: int, limit: int, now: dt.datetime, delivery_ids: Sequence[int] | None, *, wait: bool
) -> list[Claim]:
    lock = "SELECT max_in_flight FROM exchange_partnersystem WHERE id = %s AND state = 'active' FOR NO KEY UPDATE"
    only = "AND d.id = ANY(%(ids)s)" if delivery_ids is not None else ""
    with transaction.atomic(), connection.cursor() as cursor:
        # One claimer per partner at a time, so the count of its live leases is exact. A batch
        # sweep skips a partner another worker is claiming for; a single delivery waits its turn.
        cursor.execute(lock if wait else lock + " SKIP LOCKED", [partner_id])
        partner = cursor.fetchone()
        if partner is None:
            return []  # paused or disabled (or, for a batch, busy)
        cursor.execute(
            _CLAIM.format(due=_DUE, only=only, in_order=_IN_ORDER),
            {
                "partner": partner_id,
                "now": now,
                "due_by": now,
                "ids": list(delivery_ids or []),
                "limit": limit,
                "max_in_flight": partner[0],
                "lease_until": now + _lease(),
                "token": worker_token(),
            },
        )
        rows = cursor.fetchall()
        lost = [row for row in rows if row[1] == DeliveryState.IN_FLIGHT]
        exhausted = [row[0] for row in lost if row[2] >= int(settings.RILO_EXCHANGE_MAX_ATTEMPTS)]
        if lost:
            # Their worker died or hung past the lease: record each lost attempt, then take over.
            DeliveryAttempt.objects.bulk_create(
                DeliveryAttempt(
                    delivery_id=delivery_id,
                    number=attempts,
                    at=now,
                    outcome=AttemptOutcome.LEASE_EXPIRED,
                    error=f"worker {leased_by} did not finish within its lease",
                    worker=leased_by,
                )
                for delivery_id, _, attempts, leased_by, _ in lost
            )
        if exhausted:
            Delivery.objects.filter(pk__in=exhausted).update(
                state=DeliveryState.DEAD,
                reason="retry schedule exhausted; last attempt: worker lost",
                lease_until=None,
                next_attempt_at=None,
                completed_at=now,
            )
    return [Claim(delivery_id=row[0], token=row[4]) for row in rows if row[0] not in exhausted]


def deliveries_claim(*, limit: int, delivery_ids: Sequence[int] | None = None) -> list[Claim]:
    """Lease up to ``limit`` due deliveries (optionally only among ``delivery_ids``) to this worker.

    Per partner, the partner row is locked while counting its live leases, so ``max_in_flight``
    holds across workers; deliveries are locked ``FOR UPDATE SKIP LOCKED`` so two workers never
    claim the same one. Deliveries whose lease expired are due again.
    """
    now = timezone.now()
    claims: list[Claim] = []
    for partner_id in _partners_with_due(now, delivery_ids):
        if len(claims) >= limit:
            break
        claims.extend(
            _claim_for_partner(partner_id, limit - len(claims), now, delivery_ids, wait=delivery_ids is not None)
        )
    return claims


# --- sending -----------------------------------------------------------------------------------


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
    return current_policy_versions(partner_ids=[delivery.partner_id]).get(delivery.partner_id)


def _refusal_now(delivery: Delivery) -> tuple[SharingPolicy | None, str]:
    """The policy a message not decided a moment ago (a retry, a sweep) is rendered under now, or why it is refused.

    An agreement revoked since the decision stops it; one decided under an older policy version is
    decided again under the current one (see :func:`apps.exchange.replay.policy_now`). Tombstones
    (identifiers only) always go.
    """
    if delivery.mode == DeliveryMode.TOMBSTONE:
        return delivery.policy, ""
    partner = delivery.partner
    receivable = partner_receivable_regions(partner=partner)
    refusal = region_reason(delivery.event.snapshot, partner, delivery.policy, receivable)
    if refusal:
        return None, f"no longer allowed: {refusal}"
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
        return Outcome(AttemptOutcome.REFUSED, error="endpoint refused at send time: " + " ".join(error.messages)), ""
    adapter = adapter_for(partner)
    if payload is None:
        # Not decided a moment ago by this fan-out (a retry, a replay, a sweep): what goes out is what
        # the agreements and the partner's policy allow now.
        policy, refusal = _refusal_now(delivery)
        if refusal:
            return Outcome(AttemptOutcome.REFUSED, error=refusal), ""
        snapshot, mode = delivery.event.snapshot, delivery.mode
        if delivery.replayed_at is not None:
            # A replay: the report as it is now, under the partner's policy as it is now (or nothing).
            fresh = current_message(delivery)
            if isinstance(fresh, str):
                return Outcome(AttemptOutcome.REFUSED, error=fresh), ""
            snapshot, policy, mode = fresh.snapshot, fresh.policy, fresh.mode
        payload = adapter.render(snapshot, policy, mode=mode, personal_allowed=partner.personal_data_allowed)
        if not partner.personal_data_allowed:
            refusal = refusal_reason(payload)
            if refusal:
                return Outcome(AttemptOutcome.REFUSED, error=refusal), _payload_hash(payload)
    return adapter.send(payload, delivery), _payload_hash(payload)


def _new_state(delivery: Delivery, outcome: Outcome, now: dt.datetime) -> dict[str, Any]:
    kind = outcome.kind
    if kind == AttemptOutcome.SUCCEEDED:
        return {"state": DeliveryState.SUCCEEDED, "reason": "", "completed_at": now, "next_attempt_at": None}
    if kind == AttemptOutcome.DUPLICATE:
        reason = "partner already had it" + (f": {outcome.error}" if outcome.error else "")
        return {"state": DeliveryState.DUPLICATE, "reason": reason[:500], "completed_at": now, "next_attempt_at": None}
    if kind == AttemptOutcome.GONE:
        return {"state": DeliveryState.PARTNER_DISABLED, "reason": outcome.error[:500], "next_attempt_at": None}
    if kind == AttemptOutcome.RETRY:
        if delivery.attempts >= int(settings.RILO_EXCHANGE_MAX_ATTEMPTS):
            reason = f"retry schedule exhausted after {delivery.attempts} attempts; last: {outcome.error}"
            return {"state": DeliveryState.DEAD, "reason": reason[:500], "completed_at": now, "next_attempt_at": None}
        if outcome.retry_after is not None:
            delay = min(outcome.retry_after, MAX_RETRY_AFTER)  # the partner's wish wins over the schedule
        else:
            delay = retry_delay(delivery.attempts)
        return {
            "state": DeliveryState.RETRY,
            "reason": outcome.error[:500],
            "next_attempt_at": now + dt.timedelta(seconds=delay),
        }
    return {"state": DeliveryState.NEEDS_ATTENTION, "reason": outcome.error[:500], "next_attempt_at": None}


# Record an attempt and, if the lease is still ours, the delivery's new state, in one statement;
# also find the next message about the same report to the same partner that waited for this one.
_RECORD = """
    WITH updated AS (
        UPDATE exchange_delivery
        SET state = %(state)s, reason = %(reason)s, next_attempt_at = %(next_attempt_at)s,
            completed_at = %(completed_at)s, payload_hash = COALESCE(NULLIF(%(payload_hash)s, ''), payload_hash),
            lease_until = NULL, updated_at = %(now)s
        WHERE id = %(delivery)s AND leased_by = %(token)s AND state = 'in_flight'
        RETURNING id
    ), attempt AS (
        INSERT INTO exchange_deliveryattempt
            (delivery_id, number, at, status_code, outcome, latency_ms, error, payload_hash, worker)
        VALUES (%(delivery)s, %(number)s, %(now)s, %(status_code)s, %(outcome)s, %(latency_ms)s, %(error)s,
                %(payload_hash)s, %(token)s)
        RETURNING id
    )
    SELECT
        (SELECT count(*) FROM updated),
        (SELECT count(*) FROM attempt),
        (SELECT e.id FROM exchange_delivery e
         WHERE e.partner_id = %(partner)s AND e.report_uuid = %(report_uuid)s AND e.event_id > %(event)s
           AND e.state IN ('pending', 'retry') AND e.next_attempt_at <= %(now)s
         ORDER BY e.event_id LIMIT 1)
"""


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
    with transaction.atomic() if outcome.kind == AttemptOutcome.GONE else nullcontext(), connection.cursor() as cursor:
        cursor.execute(
            _RECORD,
            {
                "state": changes["state"],
                "reason": changes["reason"],
                "next_attempt_at": changes.get("next_attempt_at"),
                "completed_at": changes.get("completed_at"),
                "payload_hash": payload_hash,
                "now": now,
                "delivery": delivery.pk,
                "token": claim.token,
                "number": delivery.attempts,
                "status_code": outcome.status_code,
                "outcome": outcome.kind,
                "latency_ms": latency_ms,
                "error": outcome.error,
                "partner": delivery.partner_id,
                "report_uuid": delivery.report_uuid,
                "event": delivery.event_id,
            },
        )
        updated, _, waiting = cursor.fetchone()
        if outcome.kind == AttemptOutcome.GONE:
            partner_disable(partner=delivery.partner, reason=outcome.error, actor=None)
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


def exchange_sweep(*, fan_out_limit: int = 500, max_batches: int = 8) -> dict[str, int]:
    """The safety net run by Celery beat: fan out forgotten events, number messages whose embargo
    ended in the pull feed, and hand due deliveries to workers.

    Work a kick is about to do (an event written, a delivery queued, less than
    ``RILO_EXCHANGE_KICK_GRACE_SECONDS`` ago) is left to that kick, so that under load the sweeper
    does not do it a second time; an expired lease is taken over at once.
    """
    grace = dt.timedelta(seconds=float(settings.RILO_EXCHANGE_KICK_GRACE_SECONDS))
    pending = list(
        OutboxEvent.objects.filter(fanned_out_at__isnull=True, created_at__lte=timezone.now() - grace)
        .order_by("pk")
        .values_list("pk", flat=True)[:fan_out_limit]
    )
    for event_id in pending:
        event_fan_out(event_id=event_id)
    joined = feed_number_due()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FROM exchange_delivery d JOIN exchange_partnersystem p ON p.id = d.partner_id
            WHERE p.state = 'active' AND {_DUE}
            """,  # noqa: S608 (a fixed fragment, values are parameters)
            {"now": now, "due_by": now - grace},
        )
        due = int(cursor.fetchone()[0])
    batch = int(settings.RILO_EXCHANGE_BATCH)
    batches = min(max_batches, math.ceil(due / batch))
    kicks.deliver_due(batches, batch)
    return {"fanned_out": len(pending), "due": due, "batches": batches, "joined_feed": joined}


# --- partners and policies -----------------------------------------------------------------------


def _new_signing_secret() -> str:
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_endpoint(url: str) -> None:
    try:
        validate_endpoint(url)
    except ValidationError as error:
        raise ValidationError({"endpoint_url": error.messages}) from error


def partner_create(
    *,
    name: str,
    adapter: str,
    endpoint_url: str,
    actor: Any,
    credentials: dict[str, str] | None = None,
    personal_data_allowed: bool = False,
    max_in_flight: int = 4,
    contact_email: str = "",
    region: Any,
    source_administration: Any = None,
    peer_identity: str = "",
) -> tuple[PartnerSystem, str]:
    """Register a partner system of ``region`` (the RILO managing it); returns it and its webhook signing
    secret, shown this once.

    The endpoint is checked (public HTTPS outside local/test settings) by the model's validation.
    """
    secret = _new_signing_secret() if adapter == AdapterKind.WEBHOOK else ""
    partner = PartnerSystem(
        name=name,
        adapter=adapter,
        endpoint_url=endpoint_url,
        credentials_encrypted=crypto.encrypt(json.dumps(credentials)) if credentials else "",
        signing_secret_encrypted=crypto.encrypt(secret),
        personal_data_allowed=personal_data_allowed,
        max_in_flight=max_in_flight,
        contact_email=contact_email,
        region=region,
        source_administration=source_administration,
        peer_identity=peer_identity,
        state_changed_at=timezone.now(),
    )
    partner.full_clean()
    partner.save()
    return partner, secret


def partner_update(
    *,
    partner: PartnerSystem,
    actor: Any,
    endpoint_url: str | None = None,
    credentials: dict[str, str] | None = None,
    max_in_flight: int | None = None,
    contact_email: str | None = None,
    personal_data_allowed: bool | None = None,
) -> PartnerSystem:
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
    return partner


def partner_rotate_signing_secret(*, partner: PartnerSystem, overlap: dt.timedelta, actor: Any) -> str:
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


def partner_pause(*, partner: PartnerSystem, reason: str, actor: Any) -> PartnerSystem:
    """Hold the partner's deliveries (they keep accumulating and go out on resume)."""
    if partner.state != PartnerState.ACTIVE:
        raise Conflict(f"{partner.name} is {partner.get_state_display().lower()}, not active.")
    _set_state(partner, PartnerState.PAUSED, reason)
    return partner


def partner_resume(*, partner: PartnerSystem, actor: Any) -> PartnerSystem:
    """Deliver again to a paused or disabled partner (deliveries closed by a disable stay closed)."""
    _check_endpoint(partner.endpoint_url)
    _set_state(partner, PartnerState.ACTIVE, "")
    return partner


def partner_disable(*, partner: PartnerSystem, reason: str, actor: Any) -> PartnerSystem:
    """Stop delivering to a partner; its open deliveries become ``partner_disabled`` with the reason."""
    with transaction.atomic():
        now = timezone.now()
        PartnerSystem.objects.filter(pk=partner.pk).update(
            state=PartnerState.DISABLED, state_reason=reason[:500], state_changed_at=now, updated_at=now
        )
        Delivery.objects.filter(partner_id=partner.pk, state__in=sorted(OPEN_STATES)).update(
            state=DeliveryState.PARTNER_DISABLED,
            reason=f"partner disabled: {reason}"[:500],
            lease_until=None,
            next_attempt_at=None,
        )
    partner.refresh_from_db()
    return partner


def policy_create_version(
    *,
    partner: PartnerSystem,
    actor: Any,
    personal_data: bool = False,
    regions: list[str] | None = None,
    administrations: list[str] | None = None,
    commodity_categories: list[str] | None = None,
    report_kinds: list[str] | None = None,
    thresholds: list[dict[str, Any]] | None = None,
    embargo: dt.timedelta = dt.timedelta(0),
    fields: list[str] | None = None,
    generalisations: dict[str, str] | None = None,
    note: str = "",
) -> SharingPolicy:
    """Make the next policy version of ``partner`` current; refused with a message per field if invalid."""
    spec: dict[str, Any] = {
        "personal_data": personal_data,
        "regions": regions or [],
        "administrations": administrations or [],
        "commodity_categories": commodity_categories or [],
        "report_kinds": report_kinds or [],
        "thresholds": thresholds or [],
        "embargo": embargo,
        "fields": fields or [],
        "generalisations": generalisations or {},
    }
    validate_policy(partner=partner, receivable=partner_receivable_regions(partner=partner), **spec)
    with transaction.atomic():
        PartnerSystem.objects.select_for_update(no_key=True).filter(pk=partner.pk).first()
        last = SharingPolicy.objects.filter(partner=partner).order_by("-version").values_list("version", flat=True)
        version = (last.first() or 0) + 1
        return SharingPolicy.objects.create(partner=partner, version=version, created_by=actor, note=note, **spec)


def delivery_replay(*, delivery: Delivery, actor: Any) -> Delivery:
    """Send a delivery again (e.g. after a partner fixed its side), with the same webhook-id.

    Decided on the delivery's current row, locked: a message not sent yet (held by an embargo, say)
    or being sent right now is refused; so is one that is superseded, about a withdrawn or duplicate
    report, or no longer allowed by the partner's current policy (see :mod:`apps.exchange.replay`).
    What goes out is rendered from the report's current state under the current policy.
    """
    with transaction.atomic():
        current = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("partner", "event", "policy")
            .get(pk=delivery.pk)
        )
        if current.state == DeliveryState.PENDING:
            raise Conflict("This message has not been sent yet; it goes out when it is due.")
        if current.state not in REPLAYABLE_STATES:
            raise Conflict(f"A delivery that is {current.get_state_display().lower()} cannot be replayed.")
        if current.partner.state == PartnerState.DISABLED:
            raise Conflict(f"{current.partner.name} is disabled; resume it first.")
        fresh = current_message(current)
        if isinstance(fresh, str):
            raise Conflict(capfirst(fresh) + ".")
        now = timezone.now()
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.PENDING,
            reason=f"replayed at {now.isoformat(timespec='seconds')}",
            next_attempt_at=now,
            completed_at=None,
            lease_until=None,
            replayed_at=now,
            policy=fresh.policy,
        )
    transaction.on_commit(partial(kicks.deliver, [delivery.pk]))
    delivery.refresh_from_db()
    return delivery
