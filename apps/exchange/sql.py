"""The exchange's SQL that the ORM cannot say: SKIP LOCKED claims, conditional UPDATE … RETURNING,
the feed's advisory lock and sequence, a write and a read combined in one statement, percentiles.

Table names come from the models' metadata and state values from the choices, spelled into the
SQL once when this module loads (as literals, so PostgreSQL matches the partial indexes that name
them); every other value is a parameter. Each function runs one statement in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

from apps.reports.models import Report

from .choices import DeliveryState, PartnerState
from .models import Delivery, DeliveryAttempt, OutboxEvent, PartnerSystem

# pg_advisory_xact_lock key serialising feed_seq assignment, so feed numbers become visible in order.
FEED_LOCK = 0x52494C4F  # "RILO"
# The sequence of feed numbers, created by migration 0002_feed_sequence_and_immutability.
FEED_SEQUENCE = "exchange_feed_seq"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _literal(state: str) -> str:
    """``'pending'``: a choice value as an SQL literal (our own constants, checked to be plain words)."""
    value = str(state)
    if not re.fullmatch(r"[a-z_]+", value):
        raise ValueError(f"Not a plain state value: {value!r}")
    return f"'{value}'"


def _states(*states: str) -> str:
    """``('pending', 'retry')``: choice values as an SQL list of literals."""
    return "(" + ", ".join(_literal(state) for state in states) + ")"


DELIVERY = _q(Delivery._meta.db_table)
ATTEMPT = _q(DeliveryAttempt._meta.db_table)
EVENT = _q(OutboxEvent._meta.db_table)
PARTNER = _q(PartnerSystem._meta.db_table)
REPORT = _q(Report._meta.db_table)
ACTIVE = _states(PartnerState.ACTIVE)
WAITING = _states(DeliveryState.PENDING, DeliveryState.RETRY)
IN_FLIGHT = _states(DeliveryState.IN_FLIGHT)
OPEN = _states(DeliveryState.PENDING, DeliveryState.RETRY, DeliveryState.IN_FLIGHT)

# --- fan-out -------------------------------------------------------------------------------------

# Take an event nobody has fanned out (skipping one another worker holds) and mark it done, in one
# statement; the rest of the fan-out happens in the same transaction, so a failure undoes the mark.
_TAKE_EVENT = f"""
    UPDATE {EVENT} SET fanned_out_at = %(now)s
    WHERE id = (
        SELECT id FROM {EVENT}
        WHERE id = %(event)s AND fanned_out_at IS NULL
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, uuid, report_uuid, report_version, type, snapshot, created_at
"""  # noqa: S608 (names from the models, values are parameters)


def event_take(event_id: int, now: dt.datetime) -> OutboxEvent | None:
    """Mark the event fanned out and return it, unless done already or held by another worker."""
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


# What fan-out needs to know of the report: is it marked a duplicate now; which partners have an
# earlier message about it still to send (open), and which got or may have got one (reached: by
# push, or by reading it in the pull feed); and which have an earlier one held out of the feed.
_REPORT_STATE = f"""
    SELECT
        EXISTS (SELECT 1 FROM {REPORT} WHERE uuid = %(report)s AND duplicate_of_id IS NOT NULL),
        ARRAY(SELECT DISTINCT partner_id FROM {DELIVERY}
              WHERE report_uuid = %(report)s AND event_id <> %(event)s AND state = ANY(%(open)s)),
        ARRAY(SELECT DISTINCT partner_id FROM {DELIVERY}
              WHERE report_uuid = %(report)s AND event_id <> %(event)s
                AND (state = ANY(%(reached)s) OR feed_seq IS NOT NULL)),
        ARRAY(SELECT DISTINCT partner_id FROM {DELIVERY}
              WHERE report_uuid = %(report)s AND event_id <> %(event)s
                AND feed_seq IS NULL AND feed_from IS NOT NULL)
"""  # noqa: S608


def report_exchange_state(
    *, report_uuid: Any, event_id: int, open_states: Iterable[str], reached_states: Iterable[str]
) -> tuple[bool, list[int], list[int], list[int]]:
    """(marked a duplicate, partners with an open earlier message, partners reached, partners with one held
    out of the feed), as :data:`_REPORT_STATE` says."""
    with connection.cursor() as cursor:
        cursor.execute(
            _REPORT_STATE,
            {"report": report_uuid, "event": event_id, "open": sorted(open_states), "reached": sorted(reached_states)},
        )
        duplicate, open_ids, reached_ids, waiting_ids = cursor.fetchone()
    return bool(duplicate), list(open_ids), list(reached_ids), list(waiting_ids)


# Lock the partner rows (in id order, as every claimer does) and count their free slots.
_FREE_SLOTS = f"""
    SELECT p.id, p.max_in_flight - (
        SELECT count(*) FROM {DELIVERY} f
        WHERE f.partner_id = p.id AND f.state IN {IN_FLIGHT} AND f.lease_until > %(now)s
    )
    FROM {PARTNER} p
    WHERE p.id = ANY(%(partners)s) AND p.state IN {ACTIVE}
    ORDER BY p.id
    FOR NO KEY UPDATE OF p
"""  # noqa: S608


def partners_free_slots(partner_ids: Iterable[int], now: dt.datetime) -> dict[int, int]:
    """Lock the active partners among ``partner_ids`` and return how many more leases each may hold."""
    with connection.cursor() as cursor:
        cursor.execute(_FREE_SLOTS, {"now": now, "partners": sorted(partner_ids)})
        return dict(cursor.fetchall())


# --- the pull feed -------------------------------------------------------------------------------

# Feed numbers for the new messages, drawn under a transaction-level lock so they become visible
# in order (the lock is taken by the filter, before the first number is drawn).
_FEED_NUMBERS = f"""
    SELECT nextval('{FEED_SEQUENCE}') FROM generate_series(1, %(count)s)
    WHERE pg_advisory_xact_lock(%(lock)s) IS NOT NULL
"""  # noqa: S608

# Messages whose embargo has ended and that have no place in the pull feed yet (of one partner, or all).
_FEED_WAITING = f"""
    SELECT id FROM {DELIVERY} d
    WHERE feed_seq IS NULL AND feed_from <= %(now)s AND (%(partner)s::bigint IS NULL OR partner_id = %(partner)s)
      AND NOT EXISTS (
          SELECT 1 FROM {DELIVERY} e
          WHERE e.partner_id = d.partner_id AND e.report_uuid = d.report_uuid AND e.event_id < d.event_id
            AND e.feed_seq IS NULL AND e.feed_from IS NOT NULL
      )
    ORDER BY feed_from, id
"""  # noqa: S608

_FEED_JOIN = f"""
    UPDATE {DELIVERY} d SET feed_seq = joined.seq
    FROM unnest(%s::bigint[], %s::bigint[]) AS joined(id, seq) WHERE d.id = joined.id
"""  # noqa: S608


def feed_numbers(count: int) -> list[int]:
    """``count`` new feed numbers, increasing; the caller's transaction holds the feed lock until it ends."""
    with connection.cursor() as cursor:
        cursor.execute(_FEED_NUMBERS, {"lock": FEED_LOCK, "count": count})
        return sorted(row[0] for row in cursor.fetchall())


def feed_any_waiting(now: dt.datetime, partner_id: int | None) -> bool:
    """Whether a message waits for its feed number (no lock taken)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({_FEED_WAITING})", {"now": now, "partner": partner_id})
        return bool(cursor.fetchone()[0])


def feed_number_waiting(now: dt.datetime, partner_id: int | None) -> int:
    """Under the feed lock, number the waiting messages no other transaction holds; how many. Call in a transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK])
        cursor.execute(f"{_FEED_WAITING} FOR UPDATE SKIP LOCKED", {"now": now, "partner": partner_id})
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            cursor.execute(_FEED_JOIN, [ids, feed_numbers(len(ids))])
    return len(ids)


# --- claims --------------------------------------------------------------------------------------

# Due: waiting and due by ``due_by`` (now, or for the sweeper a grace period ago), or leased to a
# worker whose lease has expired.
_DUE = f"""
    ((d.state IN {WAITING} AND d.next_attempt_at <= %(due_by)s)
     OR (d.state IN {IN_FLIGHT} AND d.lease_until <= %(now)s))
"""
# A report's messages to one partner go out in order: nothing overtakes an earlier open one.
_IN_ORDER = f"""
    NOT EXISTS (
        SELECT 1 FROM {DELIVERY} e
        WHERE e.partner_id = d.partner_id AND e.report_uuid = d.report_uuid
          AND e.event_id < d.event_id AND e.state IN {OPEN}
    )
"""  # noqa: S608
_ONLY = "AND d.id = ANY(%(ids)s)"
# Lease due deliveries of one partner, no more than its free slots (max_in_flight minus live
# leases, counted after the partner row is locked), skipping rows another worker holds.
_CLAIM = f"""
    WITH candidates AS (
        SELECT d.id, d.state, d.attempts, d.leased_by FROM {DELIVERY} d
        WHERE d.partner_id = %(partner)s AND {_DUE} {{only}} AND {_IN_ORDER}
        ORDER BY d.next_attempt_at, d.id
        LIMIT GREATEST(0, LEAST(%(limit)s, %(max_in_flight)s - (
            SELECT count(*) FROM {DELIVERY} f
            WHERE f.partner_id = %(partner)s AND f.state IN {IN_FLIGHT} AND f.lease_until > %(now)s
        )))
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE {DELIVERY} u
    SET state = {_literal(DeliveryState.IN_FLIGHT)}, lease_until = %(lease_until)s,
        leased_by = %(token)s || ':' || u.id, attempts = u.attempts + 1, updated_at = %(now)s
    FROM candidates c WHERE u.id = c.id
    RETURNING u.id, c.state, c.attempts, c.leased_by, u.leased_by
"""  # noqa: S608
_CLAIM_ALL = _CLAIM.format(only="")
_CLAIM_ONLY = _CLAIM.format(only=_ONLY)
_PARTNERS_WITH_DUE = f"""
    SELECT DISTINCT d.partner_id FROM {DELIVERY} d JOIN {PARTNER} p ON p.id = d.partner_id
    WHERE p.state IN {ACTIVE} AND {_DUE}
"""  # noqa: S608
_COUNT_DUE = f"""
    SELECT count(*) FROM {DELIVERY} d JOIN {PARTNER} p ON p.id = d.partner_id
    WHERE p.state IN {ACTIVE} AND {_DUE}
"""  # noqa: S608
_LOCK_PARTNER = f"SELECT max_in_flight FROM {PARTNER} WHERE id = %s AND state IN {ACTIVE} FOR NO KEY UPDATE"  # noqa: S608


def partners_with_due(now: dt.datetime, delivery_ids: Sequence[int] | None) -> list[int]:
    """Active partners with a due delivery (among ``delivery_ids``, if given)."""
    sql = _PARTNERS_WITH_DUE + (_ONLY if delivery_ids is not None else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "due_by": now, "ids": list(delivery_ids or [])})
        return [row[0] for row in cursor.fetchall()]


def deliveries_due_count(now: dt.datetime, due_by: dt.datetime) -> int:
    """How many deliveries of active partners are due by ``due_by`` (or lost by a worker)."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_DUE, {"now": now, "due_by": due_by})
        return int(cursor.fetchone()[0])


def partner_lock_for_claims(partner_id: int, *, wait: bool) -> int | None:
    """Lock an active partner's row (skipping it if another claimer holds it, unless ``wait``); its max_in_flight."""
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_PARTNER if wait else _LOCK_PARTNER + " SKIP LOCKED", [partner_id])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def deliveries_lease(
    *,
    partner_id: int,
    limit: int,
    max_in_flight: int,
    now: dt.datetime,
    lease_until: dt.datetime,
    token: str,
    delivery_ids: Sequence[int] | None,
) -> list[tuple[int, str, int, str, str]]:
    """Lease a partner's due deliveries (see :data:`_CLAIM`).

    Rows of (id, state before, attempts before, lease before, new lease).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM_ALL if delivery_ids is None else _CLAIM_ONLY,
            {
                "partner": partner_id,
                "now": now,
                "due_by": now,
                "ids": list(delivery_ids or []),
                "limit": limit,
                "max_in_flight": max_in_flight,
                "lease_until": lease_until,
                "token": token,
            },
        )
        return list(cursor.fetchall())


_RELEASE = f"""
    UPDATE {DELIVERY}
    SET state = {_literal(DeliveryState.PENDING)}, attempts = attempts - 1, lease_until = NULL, leased_by = '',
        next_attempt_at = %(now)s, updated_at = %(now)s
    WHERE id = ANY(%(ids)s) AND leased_by = ANY(%(tokens)s) AND state IN {IN_FLIGHT}
    RETURNING id
"""  # noqa: S608


def deliveries_release(ids: Sequence[int], tokens: Sequence[str], now: dt.datetime) -> list[int]:
    """Give back unused leases (no attempt made): the deliveries are pending again; their ids."""
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE, {"ids": list(ids), "tokens": list(tokens), "now": now})
        return [row[0] for row in cursor.fetchall()]


# --- sending -------------------------------------------------------------------------------------

# Record an attempt and, if the lease is still ours, the delivery's new state, in one statement;
# also find the next message about the same report to the same partner that waited for this one.
_RECORD = f"""
    WITH updated AS (
        UPDATE {DELIVERY}
        SET state = %(state)s, reason = %(reason)s, reason_parts = %(reason_parts)s::jsonb,
            next_attempt_at = %(next_attempt_at)s, completed_at = %(completed_at)s,
            payload_hash = COALESCE(NULLIF(%(payload_hash)s, ''), payload_hash),
            lease_until = NULL, updated_at = %(now)s
        WHERE id = %(delivery)s AND leased_by = %(token)s AND state IN {IN_FLIGHT}
        RETURNING id
    ), attempt AS (
        INSERT INTO {ATTEMPT}
            (delivery_id, number, at, status_code, outcome, latency_ms, error, error_parts, payload_hash, worker)
        VALUES (%(delivery)s, %(number)s, %(now)s, %(status_code)s, %(outcome)s, %(latency_ms)s, %(error)s,
                %(error_parts)s::jsonb, %(payload_hash)s, %(token)s)
        RETURNING id
    )
    SELECT
        (SELECT count(*) FROM updated),
        (SELECT count(*) FROM attempt),
        (SELECT e.id FROM {DELIVERY} e
         WHERE e.partner_id = %(partner)s AND e.report_uuid = %(report_uuid)s AND e.event_id > %(event)s
           AND e.state IN {WAITING} AND e.next_attempt_at <= %(now)s
         ORDER BY e.event_id LIMIT 1)
"""  # noqa: S608


def attempt_record(**values: Any) -> tuple[int, int | None]:
    """Record an attempt and the delivery's new state if the lease is still held (see :data:`_RECORD`).

    Returns (1 if the state was written else 0, the id of the next message that waited for this one or None).
    """
    with connection.cursor() as cursor:
        cursor.execute(_RECORD, values)
        updated, _, waiting = cursor.fetchone()
    return int(updated), waiting


# --- operations ----------------------------------------------------------------------------------

REACHED = _states(DeliveryState.SUCCEEDED, DeliveryState.DUPLICATE)
_ATTEMPT_LATENCY = f"""
    SELECT count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY a.latency_ms),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY a.latency_ms)
    FROM {ATTEMPT} a JOIN {DELIVERY} d ON d.id = a.delivery_id
    WHERE d.partner_id = %(partner)s AND a.at >= %(since)s AND a.status_code IS NOT NULL
"""  # noqa: S608
_DELIVERY_LATENCY = f"""
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.completed_at - e.created_at)),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM d.completed_at - e.created_at))
    FROM {DELIVERY} d JOIN {EVENT} e ON e.id = d.event_id
    WHERE d.partner_id = %(partner)s AND d.completed_at >= %(since)s AND d.state IN {REACHED}
"""  # noqa: S608


def partner_latencies(partner_id: int, since: dt.datetime) -> tuple[int, Any, Any, Any, Any]:
    """Since ``since``: attempts answered, their p50/p95 request latency (ms), and p50/p95 seconds from
    the event to a delivered message."""
    with connection.cursor() as cursor:
        cursor.execute(_ATTEMPT_LATENCY, {"partner": partner_id, "since": since})
        attempts, request_p50, request_p95 = cursor.fetchone()
        cursor.execute(_DELIVERY_LATENCY, {"partner": partner_id, "since": since})
        delivery_p50, delivery_p95 = cursor.fetchone()
    return int(attempts or 0), request_p50, request_p95, delivery_p50, delivery_p95
