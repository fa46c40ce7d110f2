"""Operations: how partners are doing, what happened to a report, and sending messages again.

Reads (selectors) answer the operations pages: per-partner health (deliveries by state, the
oldest message still on its way, latency percentiles over the last hour, the last error), the
per-report timeline ("why was X not shared with Y?") and the deliveries needing attention.
Writes are the replays: one delivery, or everything made for a partner since a time.

Every read starts from the partners the actor may see (``PartnerSystem.objects.restrict``) and,
for timelines, the reports the actor may see (``Report.objects.restrict``).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.reports.choices import Transition
from apps.reports.models import Report, ReviewEvent

from . import kicks, services
from .choices import REPLAYABLE_STATES, AttemptOutcome, DeliveryState, EventType, PartnerState
from .models import Delivery, DeliveryAttempt, OutboxEvent, PartnerSystem
from .partners import partners_reachable
from .replay import ReplayResult, check_window, current_message, latest_per_report

HEALTH_WINDOW = dt.timedelta(hours=1)
PROBLEM_STATES = (DeliveryState.DEAD, DeliveryState.NEEDS_ATTENTION, DeliveryState.PARTNER_DISABLED)


def _undelivered(now: dt.datetime) -> Q:
    """Still on its way: open, except a message held by an embargo (pending, due later)."""
    return Q(state__in=[DeliveryState.RETRY, DeliveryState.IN_FLIGHT]) | Q(
        state=DeliveryState.PENDING, next_attempt_at__lte=now
    )


# --- health --------------------------------------------------------------------------------------


@dataclass
class PartnerHealth:
    """How one partner is doing now."""

    counts: dict[str, int]
    undelivered: int
    held: int
    oldest_undelivered_at: dt.datetime | None
    oldest_undelivered_age: dt.timedelta | None
    attempts_in_window: int
    request_p50_ms: float | None
    request_p95_ms: float | None
    delivery_p50_seconds: float | None
    delivery_p95_seconds: float | None
    last_error: DeliveryAttempt | None
    window: dt.timedelta = HEALTH_WINDOW

    @property
    def problems(self) -> int:
        return sum(self.counts.get(state, 0) for state in PROBLEM_STATES)

    @property
    def state_rows(self) -> list[tuple[str, str, int]]:
        """(state, label, count) for every delivery state, in the catalogue's order."""
        return [(str(state.value), str(state.label), self.counts.get(state, 0)) for state in DeliveryState]


_PERCENTILES = """
    SELECT count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY a.latency_ms),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY a.latency_ms)
    FROM exchange_deliveryattempt a JOIN exchange_delivery d ON d.id = a.delivery_id
    WHERE d.partner_id = %(partner)s AND a.at >= %(since)s AND a.status_code IS NOT NULL
"""
_DELIVERY_LATENCY = """
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.completed_at - e.created_at)),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM d.completed_at - e.created_at))
    FROM exchange_delivery d JOIN exchange_outboxevent e ON e.id = d.event_id
    WHERE d.partner_id = %(partner)s AND d.completed_at >= %(since)s AND d.state IN ('succeeded', 'duplicate')
"""


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def partner_health(*, partner: PartnerSystem, now: dt.datetime | None = None) -> PartnerHealth:
    """Health of a partner the caller already reached (see :func:`apps.exchange.partners.partner_get`)."""
    now = now or timezone.now()
    since = now - HEALTH_WINDOW
    deliveries = Delivery.objects.filter(partner=partner)
    counts = {row["state"]: row["n"] for row in deliveries.values("state").annotate(n=Count("pk")).order_by()}
    open_now = deliveries.filter(_undelivered(now)).aggregate(n=Count("pk"), oldest=Min("created_at"))
    held = deliveries.filter(state=DeliveryState.PENDING, next_attempt_at__gt=now).count()
    with connection.cursor() as cursor:
        cursor.execute(_PERCENTILES, {"partner": partner.pk, "since": since})
        attempts, request_p50, request_p95 = cursor.fetchone()
        cursor.execute(_DELIVERY_LATENCY, {"partner": partner.pk, "since": since})
        delivery_p50, delivery_p95 = cursor.fetchone()
    last_error = (
        DeliveryAttempt.objects.filter(delivery__partner=partner)
        .exclude(outcome__in=["succeeded", "duplicate"])
        .select_related("delivery")
        .order_by("-at", "-pk")
        .first()
    )
    oldest = open_now["oldest"]
    return PartnerHealth(
        counts=counts,
        undelivered=open_now["n"],
        held=held,
        oldest_undelivered_at=oldest,
        oldest_undelivered_age=(now - oldest) if oldest else None,
        attempts_in_window=int(attempts or 0),
        request_p50_ms=_float(request_p50),
        request_p95_ms=_float(request_p95),
        delivery_p50_seconds=_float(delivery_p50),
        delivery_p95_seconds=_float(delivery_p95),
        last_error=last_error,
    )


@dataclass
class PartnerSummary:
    """One row of the partners page."""

    partner: PartnerSystem
    undelivered: int = 0
    problems: int = 0
    oldest_undelivered_age: dt.timedelta | None = None
    policy_version: int | None = None


def partners_overview(*, actor: Any, now: dt.datetime | None = None) -> list[PartnerSummary]:
    """The partners the actor may see, each with its backlog and problems (a few queries for all)."""
    now = now or timezone.now()
    partners = list(partners_reachable(actor=actor).order_by("name"))
    summaries = {p.pk: PartnerSummary(partner=p) for p in partners}
    ids = list(summaries)
    for row in (
        Delivery.objects.filter(partner_id__in=ids)
        .filter(_undelivered(now))
        .values("partner_id")
        .annotate(n=Count("pk"), oldest=Min("created_at"))
        .order_by()
    ):
        summaries[row["partner_id"]].undelivered = row["n"]
        summaries[row["partner_id"]].oldest_undelivered_age = now - row["oldest"]
    for row in (
        Delivery.objects.filter(partner_id__in=ids, state__in=PROBLEM_STATES)
        .values("partner_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        summaries[row["partner_id"]].problems = row["n"]
    from .selectors import current_policies

    for partner_id, policy in current_policies(partner_ids=ids).items():
        summaries[partner_id].policy_version = policy.version
    return [summaries[p.pk] for p in partners]


def partner_deliveries(*, partner: PartnerSystem, states: list[str] | None = None) -> QuerySet[Delivery]:
    """A reached partner's deliveries, newest first, optionally in some states only."""
    deliveries = Delivery.objects.filter(partner=partner).select_related("event", "policy")
    if states:
        deliveries = deliveries.filter(state__in=states)
    return deliveries.order_by("-pk")


# --- timeline ------------------------------------------------------------------------------------


@dataclass
class TimelineEvent:
    """One outbox event of a report and what became of it for each partner the actor may see."""

    event: OutboxEvent
    deliveries: list[Delivery] = field(default_factory=list)
    # Who ticked "Free text checked: no personal data" approving this version ("" if nobody did).
    free_text_checked_by: str = ""


@dataclass
class Timeline:
    """A report's way out: approved, corrected or withdrawn, fanned out, then attempts per partner."""

    report: Report
    events: list[TimelineEvent]
    hidden_deliveries: int
    provenance: Any = None


def timeline_reports(*, actor: Any, key: str) -> QuerySet[Report]:
    """Reports the actor may see whose UUID or national reference is ``key`` (nothing without the capability)."""
    if not (actor.has_perm("exchange.view_delivery") and actor.has_perm("exchange.view_partnersystem")):
        return Report.objects.none()
    reports = Report.objects.restrict(actor, "view").select_related("administration")
    key = key.strip()
    try:
        return reports.filter(uuid=uuid.UUID(key))
    except ValueError:
        return reports.filter(national_reference__iexact=key).order_by("administration__name")


def report_timeline(*, actor: Any, report_uuid: uuid.UUID) -> Timeline:
    """What happened to one report on its way to partners; a report the actor may not see does not exist."""
    report = timeline_reports(actor=actor, key=str(report_uuid)).first()
    if report is None:
        raise NotFound("No such report.")
    visible = partners_reachable(actor=actor).values("pk")
    deliveries = (
        Delivery.objects.filter(report_uuid=report.uuid, partner_id__in=visible)
        .select_related("partner", "policy")
        .prefetch_related(Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("at", "pk")))
        .order_by("event_id", "partner__name")
    )
    by_event: dict[int, list[Delivery]] = {}
    for delivery in deliveries:
        by_event.setdefault(delivery.event_id, []).append(delivery)
    checked_by = free_text_checks(report=report)
    events = [
        TimelineEvent(
            event=event,
            deliveries=by_event.get(event.pk, []),
            free_text_checked_by=checked_by.get(event.report_version, "") if event.type != EventType.WITHDRAWN else "",
        )
        for event in OutboxEvent.objects.filter(report_uuid=report.uuid).defer("snapshot").order_by("pk")
    ]
    hidden = Delivery.objects.filter(report_uuid=report.uuid).exclude(partner_id__in=visible).count()
    from .models import ReportProvenance

    provenance = ReportProvenance.objects.filter(report=report).select_related("source_partner").first()
    if provenance is not None and not partners_reachable(actor=actor).filter(pk=provenance.source_partner_id).exists():
        provenance = None
    return Timeline(report=report, events=events, hidden_deliveries=hidden, provenance=provenance)


def free_text_checks(*, report: Report) -> dict[int, str]:
    """Version → who checked its free text when approving or correcting it (versions nobody checked are absent)."""
    checks = (
        ReviewEvent.objects.filter(
            report_id=report.pk, transition__in=[Transition.APPROVE, Transition.CORRECT], free_text_checked=True
        )
        .select_related("actor")
        .order_by("at", "pk")
    )
    return {check.version: check.actor.get_full_name() or check.actor.get_username() for check in checks}


# --- replays -------------------------------------------------------------------------------------


def _require_operator(actor: Any, partner: PartnerSystem) -> None:
    if not partners_reachable(actor=actor).filter(pk=partner.pk).exists():
        raise NotFound("No such partner system.")
    if not actor.has_perm("exchange.change_delivery"):
        raise PermissionDenied("Only RILO administrators send messages again.")


def delivery_get(*, actor: Any, pk: int) -> Delivery:
    """One delivery to a partner the actor may see."""
    delivery = (
        Delivery.objects.filter(pk=pk, partner_id__in=partners_reachable(actor=actor).values("pk"))
        .select_related("partner", "event")
        .first()
    )
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery


@transaction.atomic
def delivery_replay_by(*, actor: Any, delivery: Delivery) -> Delivery:
    """Send one delivery again (same message, same webhook-id) for a RILO administrator of its partner.

    A message not sent yet (pending, e.g. under an embargo) is refused: it goes out when due.
    """
    _require_operator(actor, delivery.partner)
    replayed = services.delivery_replay(delivery=delivery, actor=actor)
    audit_record(actor=actor, action="exchange.delivery_replay", obj=delivery.partner, detail={"delivery": delivery.pk})
    return replayed


@transaction.atomic
def partner_deliveries_replay_since(*, actor: Any, partner: PartnerSystem, since: dt.datetime) -> ReplayResult:
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
        raise ValidationError({"since": ["Choose a time in the past."]})
    check_window(since=since, now=now)
    if partner.state == PartnerState.DISABLED:
        raise Conflict(f"{partner.name} is disabled; resume it first.")
    in_window = set(
        Delivery.objects.filter(partner=partner, created_at__gte=since).values_list("report_uuid", flat=True)
    )
    result = ReplayResult()
    queued: list[int] = []
    for delivery in latest_per_report(partner_id=partner.pk, report_uuids=in_window):
        if delivery.state not in REPLAYABLE_STATES:
            continue  # not sent yet, being sent, or never to be sent (skipped by the policy at the time)
        fresh = current_message(delivery)
        if isinstance(fresh, str):
            result.skipped.append((delivery.pk, fresh))
            continue
        queued.append(delivery.pk)
        Delivery.objects.filter(pk=delivery.pk, state=delivery.state).update(
            state=DeliveryState.PENDING,
            reason=f"replayed at {now.isoformat(timespec='seconds')} (everything since {since.isoformat()})"[:500],
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
