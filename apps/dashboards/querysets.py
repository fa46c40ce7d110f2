"""Scopes of the summary tables: the figures of a region are for the people of that region.

Every read of the summaries on behalf of someone starts from ``restrict(actor, "view")``, as every read of
reports does: a region's RILO staff reach their region's rows, an administration's staff (and its national
system) the rows of their administration's region (a *regional* office's figures are the region's), the
person-derived rows only the region's staff who hold the personal-data capability. The dashboards' selectors
narrow further (to the administrations a filter names); ``restrict()`` is the floor under them.

The workers' own reads (the recompute, the rebuild, the reconciliation) are on no one's behalf and read the
tables whole.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from apps.core.actor import Actor
from apps.core.querysets import NOTHING, RestrictedQuerySet
from apps.tenancy.models import Administration

# Who may see the person-derived figures of a region (with a region of their own): apps.dashboards.selectors.
PERSONAL_CAPABILITY = "reports.view_personal_data_report"


def _region_condition(user: Actor) -> Q:
    """The rows of the administrations of ``user``'s region (theirs, or their administration's)."""
    if user.region_id:
        return Q(administration__region_id=user.region_id)
    if user.administration_id:
        region = Administration.objects.filter(pk=user.administration_id).values("region_id")
        return Q(administration__region_id__in=region)
    return NOTHING


class SummaryQuerySet(RestrictedQuerySet):
    """Report and item summaries and the largest items: read only (``view``), by everyone of the region."""

    def scope(self, user: Actor, action: str) -> Q:
        return _region_condition(user) if action == "view" else NOTHING

    def position(self, user: Actor) -> tuple[Any, ...] | None:
        return (user.region_id, user.administration_id)


class RegionSummaryQuerySet(SummaryQuerySet):
    """The region-wide summaries: keyed by the region itself."""

    def scope(self, user: Actor, action: str) -> Q:
        if action != "view":
            return NOTHING
        if user.region_id:
            return Q(region_id=user.region_id)
        if user.administration_id:
            return Q(region_id__in=Administration.objects.filter(pk=user.administration_id).values("region_id"))
        return NOTHING


class PersonSummaryQuerySet(SummaryQuerySet):
    """Counts of persons per nationality, sex or age band: only the region's own staff holding the personal-data
    capability (an officer's capability covers their administration's reports, not the region's figures)."""

    def scope(self, user: Actor, action: str) -> Q:
        if not user.region_id or not user.has_perm(PERSONAL_CAPABILITY):
            return NOTHING
        return super().scope(user, action)
