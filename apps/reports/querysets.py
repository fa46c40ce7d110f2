"""Scope of reports: which reports a user's position reaches, per action (DESIGN.md section 5).

- Officers and coordinators reach their own administration's reports in every state; they may
  change and submit only drafts and returned reports, correct only approved ones.
- RILO staff holding ``view_all_report`` or ``review_report`` reach the reports of their region's
  administrations once submitted (never drafts); they review and approve submitted ones,
  correct and withdraw approved ones.
- A national system (a partner system account attached to an administration) pushes reports for
  its administration through the API: it reaches them as the administration's staff do.
- Other partner systems reach nothing here (the exchange layer serves them).
- Exceptions come from guardian rows: one user (an assigned reviewer, until the report leaves review)
  or an administration (a report shared for a joint operation, stored as a group permission on the
  administration's group, see :func:`administration_group_name`; membership comes from the user's
  administration FK). A share past its ``expires_at`` grants nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from apps.accounts.roles import ADMINISTRATION_ROLES, RILO_ROLES, Role
from apps.core.actor import Actor
from apps.core.querysets import NOTHING, RestrictedQuerySet, unexpired

from .choices import EDITABLE_STATES, REVIEWABLE_STATES, ReportStatus

ALL_STATES = frozenset(ReportStatus)

# Per action: the states an administration's own staff may act in.
_ADMINISTRATION_STATES: dict[str, frozenset[str]] = {
    "view": ALL_STATES,
    "export": ALL_STATES,
    "view_personal_data": ALL_STATES,
    "change": EDITABLE_STATES,
    "submit": EDITABLE_STATES,
    "delete": frozenset({ReportStatus.DRAFT}),
    "correct": frozenset({ReportStatus.APPROVED}),
    "share": REVIEWABLE_STATES,
}
# Per action: the states RILO staff of the region may act in.
_REGION_STATES: dict[str, frozenset[str]] = {
    "view": REVIEWABLE_STATES,
    "view_all": REVIEWABLE_STATES,
    "export": REVIEWABLE_STATES,
    "view_personal_data": REVIEWABLE_STATES,
    "review": frozenset({ReportStatus.SUBMITTED}),
    "approve": frozenset({ReportStatus.SUBMITTED}),
    "assign": frozenset({ReportStatus.SUBMITTED}),
    "correct": frozenset({ReportStatus.APPROVED}),
    "withdraw": frozenset({ReportStatus.APPROVED}),
    "mark_duplicate": frozenset({ReportStatus.SUBMITTED, ReportStatus.APPROVED}),
    "share": REVIEWABLE_STATES,
}


def administration_group_name(administration_id: int) -> str:
    """The guardian group standing for one administration in report shares."""
    return f"administration:{administration_id}"


class ReportQuerySet(RestrictedQuerySet):
    def scope(self, user: Actor, action: str) -> Q:
        if user.administration_id and (user.role in ADMINISTRATION_ROLES or user.role == Role.PARTNER_SYSTEM):
            states = _ADMINISTRATION_STATES.get(action)
            if not states:
                return NOTHING
            return Q(administration_id=user.administration_id, status__in=sorted(states))
        if user.role in RILO_ROLES and user.region_id:
            if not (user.has_perm("reports.view_all_report") or user.has_perm("reports.review_report")):
                return NOTHING
            states = _REGION_STATES.get(action)
            if not states:
                return NOTHING
            return Q(administration__region_id=user.region_id, status__in=sorted(states))
        return NOTHING

    def position(self, user: Actor) -> tuple[Any, ...]:
        return (user.role, user.administration_id, user.region_id)

    def _granted_objects(self, user: Actor, codename: str) -> Q:
        granted = super()._granted_objects(user, codename)
        if user.administration_id:
            from .models import ReportGroupObjectPermission

            shared = unexpired(
                ReportGroupObjectPermission.objects.filter(
                    group__name=administration_group_name(user.administration_id), permission__codename=codename
                )
            )
            granted |= Q(pk__in=shared.values("content_object_id"))
        return granted

    def counted(self) -> ReportQuerySet:
        """Reports that count in statistics: never duplicates, drafts or withdrawn reports."""
        return self.filter(duplicate_of__isnull=True).exclude(status__in=[ReportStatus.DRAFT, ReportStatus.WITHDRAWN])

    def forwardable(self) -> ReportQuerySet:
        """Reports that may be forwarded to partners: approved and not duplicates."""
        return self.filter(status=ReportStatus.APPROVED, duplicate_of__isnull=True)


class ReportManager(models.Manager.from_queryset(ReportQuerySet)):  # type: ignore[misc]
    """Manager exposing :meth:`ReportQuerySet.restrict`, ``counted()`` and ``forwardable()``."""
