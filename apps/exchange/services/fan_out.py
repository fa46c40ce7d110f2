"""Fan-out: one delivery per partner for each outbox event, decided by the partner's current policy
(deliver, skip with a reason, hold for an embargo, refuse if the scanner finds personal data for a
partner that may not have any); the deliveries due now are queued, or leased and sent at once.
Also the pull feed's numbering of messages whose embargo ended.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, When
from django.utils import timezone

from apps.core.rows import Reader, insert

from .. import kicks, reasons, sql
from ..adapters import adapter_for
from ..choices import OPEN_STATES, REACHED_STATES, DeliveryState, EventType, PartnerState
from ..models import Delivery, PartnerSystem
from ..policy import decide
from ..scanner import refusal_part
from ..selectors import current_policies, receivable_regions
from .claims import Claim, _lease, _worker_token
from .sending import _attempt, _payload_hash


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
    released = sql.deliveries_release([c.delivery_id for c in claims], [c.token for c in claims], timezone.now())
    transaction.on_commit(partial(kicks.deliver, released))


def _lease_at_fan_out(deliveries: list[Delivery], held: set[int], now: dt.datetime) -> None:
    """Lease the due deliveries whose partner has a free slot and nothing earlier to send about this report."""
    candidates = [d for d in deliveries if d.partner_id not in held]
    if not candidates:
        return
    slots = sql.partners_free_slots({d.partner_id for d in candidates}, now)
    lease_until = now + _lease()
    for delivery in candidates:
        if slots.get(delivery.partner_id, 0) <= 0:
            continue
        slots[delivery.partner_id] -= 1
        delivery.state = DeliveryState.IN_FLIGHT
        delivery.attempts = 1
        delivery.lease_until = lease_until
        delivery.leased_by = _worker_token()


# Every partner system, read by each fan-out.
_PARTNERS = Reader(PartnerSystem, "ORDER BY id")


def feed_number_due(*, partner_id: int | None = None) -> int:
    """Give the messages whose embargo has ended their place in the pull feed (``feed_seq``), in the
    order their embargoes ended; return how many. Run before a partner reads its feed, and by the sweeper.

    The numbers are drawn under the feed lock, so they become visible in order: a reader's cursor
    never passes a message that joins the feed later. Rows another transaction holds are left to
    the next run.
    """
    now = timezone.now()
    if not sql.feed_any_waiting(now, partner_id):
        return 0  # the usual case: no lock taken
    with transaction.atomic():
        return sql.feed_number_waiting(now, partner_id)


def _fan_out(event_id: int, *, lease: bool) -> tuple[list[int], list[Leased]]:
    with transaction.atomic():
        now = timezone.now()
        event = sql.event_take(event_id, now)
        if event is None:
            return [], []
        partners = _PARTNERS.all()
        policies = current_policies(partner_ids=[p.pk for p in partners])
        receivable = receivable_regions(partner_ids=[p.pk for p in partners])
        if event.type == EventType.WITHDRAWN:
            # Versions still waiting for their first attempt (an embargo, a paused partner) never leave.
            # Nor do they join the pull feed, if their embargo kept them out of it so far.
            Delivery.objects.filter(
                report_uuid=event.report_uuid, state=DeliveryState.PENDING, attempts=0, event_id__lt=event.pk
            ).update(
                state=DeliveryState.SKIPPED_BY_POLICY,
                **reasons.both(reasons.part("withdrawn_before_sent")),
                next_attempt_at=None,
                feed_from=Case(When(feed_seq__isnull=True, then=None), default=F("feed_from")),
            )
        marked_duplicate, open_ids, reached_ids, waiting_ids = sql.report_exchange_state(
            report_uuid=event.report_uuid, event_id=event.pk, open_states=OPEN_STATES, reached_states=REACHED_STATES
        )
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
                reason_parts=decision.parts,
                created_at=now,
            )
            if decision.state == DeliveryState.PENDING:
                payload = adapter_for(partner).render(
                    event.snapshot, policy, mode=decision.mode, personal_allowed=partner.personal_data_allowed
                )
                delivery.payload_hash = _payload_hash(payload)
                refusal = None if partner.personal_data_allowed else refusal_part(payload)
                if refusal:
                    delivery.state = DeliveryState.NEEDS_ATTENTION
                    delivery.reason, delivery.reason_parts = reasons.english([refusal])[:500], [refusal]
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
            for delivery, number in zip(readable, sql.feed_numbers(len(readable)), strict=True):
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
