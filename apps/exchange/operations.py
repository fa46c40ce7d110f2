"""Operations: how partners are doing, what happened to a report, and sending messages again.

Reads (selectors) answer the operations pages: per-partner health (deliveries by state, the
oldest message still on its way, latency percentiles over the last hour, the last error), the
per-report timeline ("why was X not shared with Y?") and the deliveries needing attention.
Sending messages again is a service (:mod:`apps.exchange.services.replay`).

Every read starts from what the actor may see: ``PartnerSystem.objects.restrict`` and
``Delivery.objects.restrict`` (a delivery is reached through its partner) and, for timelines, the
reports the actor may see (``Report.objects.restrict``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.actor import Actor
from apps.core.exceptions import NotFound
from apps.reports.choices import Transition
from apps.reports.models import Report, ReviewEvent

from . import sql
from .choices import AttemptOutcome, DeliveryState, EventType
from .models import Delivery, DeliveryAttempt, OutboxEvent, PartnerSystem, ReportProvenance
from .selectors import current_policies, partners_reachable

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


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def partner_health(*, partner: PartnerSystem, now: dt.datetime | None = None) -> PartnerHealth:
    """Health of a partner the caller already reached (see :func:`apps.exchange.selectors.partner_get`)."""
    now = now or timezone.now()
    since = now - HEALTH_WINDOW
    deliveries = Delivery.objects.filter(partner=partner)
    counts = {row["state"]: row["n"] for row in deliveries.values("state").annotate(n=Count("pk")).order_by()}
    open_now = deliveries.filter(_undelivered(now)).aggregate(n=Count("pk"), oldest=Min("created_at"))
    held = deliveries.filter(state=DeliveryState.PENDING, next_attempt_at__gt=now).count()
    attempts, request_p50, request_p95, delivery_p50, delivery_p95 = sql.partner_latencies(partner.pk, since)
    last_error = (
        DeliveryAttempt.objects.filter(delivery__partner=partner)
        .exclude(outcome__in=[AttemptOutcome.SUCCEEDED, AttemptOutcome.DUPLICATE])
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
        attempts_in_window=attempts,
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


def partners_overview(*, actor: Actor, now: dt.datetime | None = None) -> list[PartnerSummary]:
    """The partners the actor may see, each with its backlog and problems (a few queries for all)."""
    now = now or timezone.now()
    partners = list(partners_reachable(actor=actor).order_by("name"))
    summaries = {p.pk: PartnerSummary(partner=p) for p in partners}
    ids = list(summaries)
    deliveries = Delivery.objects.restrict(actor, "view")
    for row in (
        deliveries.filter(_undelivered(now))
        .values("partner_id")
        .annotate(n=Count("pk"), oldest=Min("created_at"))
        .order_by()
    ):
        summaries[row["partner_id"]].undelivered = row["n"]
        summaries[row["partner_id"]].oldest_undelivered_age = now - row["oldest"]
    for row in deliveries.filter(state__in=PROBLEM_STATES).values("partner_id").annotate(n=Count("pk")).order_by():
        summaries[row["partner_id"]].problems = row["n"]
    for partner_id, policy in current_policies(partner_ids=ids).items():
        summaries[partner_id].policy_version = policy.version
    return [summaries[p.pk] for p in partners]


def partner_deliveries(*, actor: Actor, partner: PartnerSystem, states: list[str] | None = None) -> QuerySet[Delivery]:
    """A partner's deliveries the actor may see, newest first, optionally in some states only."""
    deliveries = Delivery.objects.restrict(actor, "view").filter(partner=partner).select_related("event", "policy")
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


def timeline_reports(*, actor: Actor, key: str) -> QuerySet[Report]:
    """Reports the actor may see whose UUID or national reference is ``key`` (nothing without the capability)."""
    if not (actor.has_perm("exchange.view_delivery") and actor.has_perm("exchange.view_partnersystem")):
        return Report.objects.none()
    reports = Report.objects.restrict(actor, "view").select_related("administration")
    key = key.strip()
    try:
        return reports.filter(uuid=uuid.UUID(key))
    except ValueError:
        return reports.filter(national_reference__iexact=key).order_by("administration__name")


def report_timeline(*, actor: Actor, report_uuid: uuid.UUID) -> Timeline:
    """What happened to one report on its way to partners; a report the actor may not see does not exist."""
    report = timeline_reports(actor=actor, key=str(report_uuid)).first()
    if report is None:
        raise NotFound(_("No such report."))
    deliveries = (
        Delivery.objects.restrict(actor, "view")
        .filter(report_uuid=report.uuid)
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
    hidden = Delivery.objects.filter(report_uuid=report.uuid).count() - sum(map(len, by_event.values()))
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


# --- deliveries ----------------------------------------------------------------------------------


def delivery_get(*, actor: Actor, pk: int) -> Delivery:
    """One delivery to a partner the actor may see."""
    delivery = Delivery.objects.restrict(actor, "view").filter(pk=pk).select_related("partner", "event").first()
    if delivery is None:
        raise NotFound(_("No such delivery."))
    return delivery
