"""Writes on core tables: idempotency records of API requests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from .actor import Actor
from .exceptions import ApplicationError, Conflict
from .models import IdempotencyRecord


class IdempotencyKeyReused(ApplicationError):
    """The key was already used by this account for a different request (422)."""

    status = 422
    code = "idempotency_key_reused"


class IdempotencyInProgress(Conflict):
    """A request with the same key is still running (409)."""

    code = "idempotency_in_progress"


def _ttl() -> timedelta:
    return timedelta(hours=settings.RILO_IDEMPOTENCY_TTL_HOURS)


def _lease() -> timedelta:
    return timedelta(seconds=settings.RILO_IDEMPOTENCY_LEASE_SECONDS)


def idempotency_claim(
    *, user: Actor, key: str, method: str, path: str, request_hash: str, now: datetime | None = None
) -> tuple[IdempotencyRecord, bool]:
    """Claim ``key`` (a digest) for one request of ``user``.

    Returns ``(record, True)`` when the caller must run the request and then call
    :func:`idempotency_complete` or :func:`idempotency_release`, and ``(record, False)`` when the
    record's stored response answers it. Raises :class:`IdempotencyKeyReused` when the key was used
    for another method, path or body, and :class:`IdempotencyInProgress` while the first request
    with this key runs. Claims are conditional updates, so two racing requests never both run.
    """
    now = now or timezone.now()
    fresh: dict[str, Any] = {
        "method": method,
        "path": path,
        "request_hash": request_hash,
        "response_status": None,
        "response_body": "",
        "response_headers": {},
        "created_at": now,
        "locked_at": now,
        "completed_at": None,
    }
    record, created = IdempotencyRecord.objects.get_or_create(user=user, key=key, defaults=fresh)
    if created:
        return record, True

    if record.created_at < now - _ttl():
        # Expired: the key starts afresh, for whichever request takes it first.
        if IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).update(**fresh):
            record.refresh_from_db()
            return record, True
        record.refresh_from_db()

    if (record.method, record.path, record.request_hash) != (method, path, request_hash):
        raise IdempotencyKeyReused(
            gettext("This Idempotency-Key was already used for a different request. Use a new key for a new request."),
            extra={"Idempotency-Key": [gettext("Already used with another method, path or body.")]},
        )
    if record.completed:
        return record, False
    if record.locked_at < now - _lease():
        # The first attempt died without finishing: take over its lease.
        taken = IdempotencyRecord.objects.filter(
            pk=record.pk, response_status__isnull=True, locked_at=record.locked_at
        ).update(locked_at=now)
        if taken:
            record.locked_at = now
            return record, True
    raise IdempotencyInProgress(
        gettext("A request with this Idempotency-Key is still being processed. Retry in a moment."),
        extra={"Idempotency-Key": [gettext("A request with this key is in progress.")]},
    )


def idempotency_complete(
    *, record: IdempotencyRecord, status: int, body: str, headers: dict[str, str], now: datetime | None = None
) -> None:
    """Store the response of the request that claimed ``record`` (``body`` already encrypted)."""
    now = now or timezone.now()
    IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True, locked_at=record.locked_at).update(
        response_status=status, response_body=body, response_headers=headers, completed_at=now
    )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget a claimed key whose request failed on the server side, so that a retry runs again."""
    IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True, locked_at=record.locked_at).delete()


def idempotency_purge_expired(*, now: datetime | None = None) -> int:
    """Delete the records older than the retention period; returns how many went."""
    now = now or timezone.now()
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - _ttl()).delete()
    return deleted
