"""Sending a message again: only what is current, still allowed, and neither withdrawn nor a duplicate.

A replay never sends history. A delivery asked to go out again (one, or everything since a time)
is marked ``replayed_at``; from then on it is rendered from a fresh snapshot of the report as it is
now and the partner's current policy version, not from the stored snapshot and the policy of the
day. Before it is queued, and again just before it is sent:

- a superseded message (a later event about the report exists: a correction, a withdrawal, the
  report marked a duplicate) is not sent; the latest one is the one to replay;
- a report withdrawn, or marked a duplicate, gets no content again (its tombstone may be re-sent:
  it carries identifiers only);
- a report the partner's current policy no longer lets through is not sent; the reason is kept.

"Replay since" reaches back at most ``RILO_REPLAY_MAX_DAYS`` and sends, per report, only its
latest message, once.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.reports.choices import ReportStatus
from apps.reports.models import Report

from .. import kicks, reasons
from ..choices import REPLAYABLE_STATES, AttemptOutcome, DeliveryMode, DeliveryState, PartnerState
from ..models import Delivery, DeliveryAttempt, OutboxEvent, PartnerSystem, SharingPolicy
from ..policy import decide
from ..selectors import current_policies, partner_receivable_regions
from ..snapshot import build_snapshot
from .retention import _superseding_events


@dataclass(frozen=True)
class _Fresh:
    """What a replayed delivery sends: a snapshot of the report now, the policy now, and the mode."""

    snapshot: dict[str, Any]
    policy: SharingPolicy | None
    mode: str


@dataclass
class ReplayResult:
    """What a "replay since" did: how many messages go out again, and which were skipped and why."""

    sent: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _max_window() -> dt.timedelta:
    return dt.timedelta(days=int(settings.RILO_REPLAY_MAX_DAYS))


def _check_window(*, since: dt.datetime, now: dt.datetime) -> None:
    """Refuse a "replay since" reaching back further than ``RILO_REPLAY_MAX_DAYS``."""
    if now - since > _max_window():
        days = int(settings.RILO_REPLAY_MAX_DAYS)
        earliest = (now - _max_window()).strftime("%Y-%m-%d %H:%M")
        message = ngettext(
            "A replay reaches back at most %(days)d day: choose a time after %(earliest)s UTC. Older messages "
            "are not sent again.",
            "A replay reaches back at most %(days)d days: choose a time after %(earliest)s UTC. Older messages "
            "are not sent again.",
            days,
        ) % {"days": days, "earliest": earliest}
        raise ValidationError({"since": [message]})


def _later_event(delivery: Delivery) -> OutboxEvent | None:
    """A later event that supersedes the delivery's: a newer version, or a withdrawal (duplicates too)."""
    later = _superseding_events(
        report_uuid=delivery.report_uuid, event_id=delivery.event_id, version=delivery.event.report_version
    )
    return later.defer("snapshot").order_by("-pk").first()


def _current_message(delivery: Delivery) -> _Fresh | str:
    """What a replay of ``delivery`` sends now, or why nothing is sent (a sentence)."""
    event = delivery.event
    report = Report.objects.filter(uuid=delivery.report_uuid).first()
    if delivery.mode == DeliveryMode.REPORT:
        if report is None:
            return _("not sent again: the report no longer exists")
        if report.status == ReportStatus.WITHDRAWN:
            return _("not sent again: the report was withdrawn")
        if report.duplicate_of_id is not None:
            return _("not sent again: the report is marked as a duplicate")
    later = _later_event(delivery)
    if later is not None:
        return _("not sent again: superseded by a later message about the report (version %(version)d, “%(type)s”)") % {
            "version": later.report_version,
            "type": later.get_type_display(),
        }
    if delivery.mode == DeliveryMode.TOMBSTONE or report is None:
        # Identifiers only: the withdrawal (or "no longer shared") may go out again as it was.
        return _Fresh(snapshot=event.snapshot, policy=delivery.policy, mode=DeliveryMode.TOMBSTONE)
    if report.status != ReportStatus.APPROVED:
        return _("not sent again: the report is “%(status)s”, not approved") % {"status": report.get_status_display()}
    snapshot = build_snapshot(report, event_type=event.type, event_uuid=str(event.uuid), at=event.created_at)
    if snapshot["version"] != event.report_version:
        return _("not sent again: superseded by version %(version)d of the report") % {"version": snapshot["version"]}
    partner = delivery.partner
    policy = policy_now(
        snapshot=snapshot,
        partner=partner,
        current=current_policies(partner_ids=[partner.pk]).get(partner.pk),
        receivable=partner_receivable_regions(partner=partner),
    )
    if isinstance(policy, str):
        return _("not sent again: %(reason)s") % {"reason": policy}
    return _Fresh(snapshot=snapshot, policy=policy, mode=DeliveryMode.REPORT)


def policy_now(
    *,
    snapshot: Mapping[str, Any],
    partner: PartnerSystem,
    current: SharingPolicy | None,
    receivable: Mapping[str, bool],
) -> SharingPolicy | str:
    """The partner's current policy ``current``, if it still lets a report's message through; else why not.

    Nothing goes out with what an older policy version allowed: a replay decides its fresh snapshot
    again, and a retry or the pull feed decides the message's own snapshot again, under the current
    version, and renders it under that version. Tombstones carry identifiers only and are not asked about.
    """
    decision = decide(
        snapshot=snapshot, partner=partner, policy=current, previously_reached=False, receivable=receivable
    )
    if current is None or decision.state != DeliveryState.PENDING or decision.mode != DeliveryMode.REPORT:
        if current is None:
            return _("no longer allowed: %(reason)s") % {"reason": decision.reason}
        return _("no longer allowed by the current policy v%(version)d: %(reason)s") % {
            "version": current.version,
            "reason": decision.reason,
        }
    return current


def _latest_per_report(*, partner_id: int, report_uuids: set[uuid.UUID]) -> list[Delivery]:
    """Per report, the partner's delivery of the latest event about it (the only one a replay may send)."""
    return list(
        Delivery.objects.filter(partner_id=partner_id, report_uuid__in=list(report_uuids))
        .select_related("event", "partner", "policy")
        .order_by("report_uuid", "-event_id")
        .distinct("report_uuid")
    )


# --- sending again -----------------------------------------------------------------------------


def _require_operator(actor: Actor, partner: PartnerSystem) -> None:
    if not PartnerSystem.objects.restrict(actor, "view").filter(pk=partner.pk).exists():
        raise NotFound(_("No such partner system."))
    if not actor.has_perm("exchange.change_delivery"):
        raise PermissionDenied(_("Only RILO administrators send messages again."))


@transaction.atomic
def delivery_replay(*, actor: Actor, delivery: Delivery) -> Delivery:
    """Send a delivery again (e.g. after a partner fixed its side), with the same webhook-id.

    Decided on the delivery's current row, locked: a message not sent yet (held by an embargo, say)
    or being sent right now is refused; so is one that is superseded, about a withdrawn or duplicate
    report, or no longer allowed by the partner's current policy (see this module).
    What goes out is rendered from the report's current state under the current policy. Only a
    RILO administrator of the delivery's partner may ask it.
    """
    _require_operator(actor, delivery.partner)
    current = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("partner", "event", "policy")
        .get(pk=delivery.pk)
    )
    if current.state == DeliveryState.PENDING:
        raise Conflict(_("This message has not been sent yet; it goes out when it is due."))
    if current.state not in REPLAYABLE_STATES:
        raise Conflict(
            _("A delivery in the state “%(state)s” cannot be replayed.") % {"state": current.get_state_display()}
        )
    if current.partner.state == PartnerState.DISABLED:
        raise Conflict(_("%(name)s is disabled; resume it first.") % {"name": current.partner.name})
    fresh = _current_message(current)
    if isinstance(fresh, str):
        raise Conflict(capfirst(fresh) + ".")
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.PENDING,
        **reasons.both(reasons.part("replayed", at=now.isoformat(timespec="seconds"))),
        next_attempt_at=now,
        completed_at=None,
        lease_until=None,
        replayed_at=now,
        policy=fresh.policy,
    )
    transaction.on_commit(partial(kicks.deliver, [delivery.pk]))
    audit_record(actor=actor, action="exchange.delivery_replay", obj=delivery.partner, detail={"delivery": delivery.pk})
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def partner_deliveries_replay_since(*, actor: Actor, partner: PartnerSystem, since: dt.datetime) -> ReplayResult:
    """Send again, for every report with a message made for ``partner`` since ``since``, its latest message.

    Only the latest message about each report goes out, once, rendered from the report's current
    state under the partner's current policy; a superseded version never does. Reports withdrawn
    or marked duplicates get no content again, and reports the current policy no longer lets
    through are not sent: each such message is recorded as skipped with the reason (an attempt
    "refused before sending" in its log, and the audit event). Messages not sent yet (pending, e.g.
    under an embargo) or in flight are left alone. The window reaches back at most
    ``RILO_REPLAY_MAX_DAYS``.
    """
    _require_operator(actor, partner)
    now = timezone.now()
    if since > now:
        raise ValidationError({"since": [_("Choose a time in the past.")]})
    _check_window(since=since, now=now)
    if partner.state == PartnerState.DISABLED:
        raise Conflict(_("%(name)s is disabled; resume it first.") % {"name": partner.name})
    in_window = set(
        Delivery.objects.filter(partner=partner, created_at__gte=since).values_list("report_uuid", flat=True)
    )
    result = ReplayResult()
    queued: list[int] = []
    for delivery in _latest_per_report(partner_id=partner.pk, report_uuids=in_window):
        if delivery.state not in REPLAYABLE_STATES:
            continue  # not sent yet, being sent, or never to be sent (skipped by the policy at the time)
        fresh = _current_message(delivery)
        if isinstance(fresh, str):
            result.skipped.append((delivery.pk, fresh))
            continue
        queued.append(delivery.pk)
        Delivery.objects.filter(pk=delivery.pk, state=delivery.state).update(
            state=DeliveryState.PENDING,
            **reasons.both(
                reasons.part("replayed_since", at=now.isoformat(timespec="seconds"), since=since.isoformat())
            ),
            next_attempt_at=now,
            completed_at=None,
            lease_until=None,
            updated_at=now,
            replayed_at=now,
            policy=fresh.policy,
        )
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(delivery_id=pk, number=0, at=now, outcome=AttemptOutcome.REFUSED, error=reason, worker="replay")
        for pk, reason in result.skipped
    )
    result.sent = len(queued)
    if queued:
        batch = int(settings.RILO_EXCHANGE_BATCH)
        transaction.on_commit(partial(kicks.deliver_due, min(8, math.ceil(len(queued) / batch)), batch))
    audit_record(
        actor=actor,
        action="exchange.delivery_replay_since",
        obj=partner,
        detail={
            "since": since.isoformat(),
            "count": result.sent,
            "skipped": [{"delivery": pk, "reason": reason} for pk, reason in result.skipped[:100]],
        },
    )
    return result
