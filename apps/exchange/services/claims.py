"""Claims: leasing due deliveries to a worker, at most ``max_in_flight`` per partner, a report's messages in order."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import reasons, sql
from ..choices import AttemptOutcome, DeliveryState
from ..models import Delivery, DeliveryAttempt

_random = secrets.SystemRandom()


@dataclass(frozen=True)
class Claim:
    """A delivery leased to one worker; ``token`` proves the lease is still ours."""

    delivery_id: int
    token: str
    claimed_at: float = field(default_factory=time.monotonic)


def _worker_token() -> str:
    """A unique lease token naming the worker process holding it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(settings.RILO_EXCHANGE_LEASE_SECONDS))


def _partners_with_due(now: dt.datetime, delivery_ids: Sequence[int] | None) -> list[int]:
    partner_ids = sql.partners_with_due(now, delivery_ids)
    _random.shuffle(partner_ids)
    return partner_ids


def _claim_for_partner(
    partner_id: int, limit: int, now: dt.datetime, delivery_ids: Sequence[int] | None, *, wait: bool
) -> list[Claim]:
    with transaction.atomic():
        # One claimer per partner at a time, so the count of its live leases is exact. A batch
        # sweep skips a partner another worker is claiming for; a single delivery waits its turn.
        max_in_flight = sql.partner_lock_for_claims(partner_id, wait=wait)
        if max_in_flight is None:
            return []  # paused or disabled (or, for a batch, busy)
        rows = sql.deliveries_lease(
            partner_id=partner_id,
            limit=limit,
            max_in_flight=max_in_flight,
            now=now,
            lease_until=now + _lease(),
            token=_worker_token(),
            delivery_ids=delivery_ids,
        )
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
                    error=reasons.english([reasons.part("lease_expired", worker=leased_by)]),
                    error_parts=[reasons.part("lease_expired", worker=leased_by)],
                    worker=leased_by,
                )
                for delivery_id, _, attempts, leased_by, _ in lost
            )
        if exhausted:
            Delivery.objects.filter(pk__in=exhausted).update(
                state=DeliveryState.DEAD,
                **reasons.both(reasons.part("worker_lost")),
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
