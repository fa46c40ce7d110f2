"""Reads of the exchange app."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import QuerySet

from .models import Delivery, PartnerSystem, SharingPolicy


def current_policies(*, partner_ids: Iterable[int]) -> dict[int, SharingPolicy]:
    """Each partner's current (highest) policy version; partners without one are absent (default deny)."""
    policies = (
        SharingPolicy.objects.filter(partner_id__in=list(partner_ids))
        .order_by("partner_id", "-version")
        .distinct("partner_id")
    )
    return {policy.partner_id: policy for policy in policies}


def partner_current_policy(*, partner: PartnerSystem) -> SharingPolicy | None:
    """The partner's current policy version, if any."""
    return current_policies(partner_ids=[partner.pk]).get(partner.pk)


def report_deliveries(*, report_uuid: UUID) -> QuerySet[Delivery]:
    """Every delivery about one report, oldest first, with attempts: "why was X (not) shared with Y?"."""
    return (
        Delivery.objects.filter(report_uuid=report_uuid)
        .select_related("event", "partner", "policy")
        .prefetch_related("attempt_log")
        .order_by("event_id", "partner__name")
    )
