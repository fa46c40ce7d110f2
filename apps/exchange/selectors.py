"""Reads of the exchange app: partners the actor reaches, current policies, receivable regions, agreements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.core.actor import Actor
from apps.core.caches import ProcessCache, process_cache
from apps.core.exceptions import NotFound
from apps.tenancy.models import Administration, Region

from .models import CrossRegionAgreement, PartnerSystem, SharingPolicy

# --- partners ----------------------------------------------------------------------------------


def partners_reachable(*, actor: Actor, action: str = "view") -> QuerySet[PartnerSystem]:
    """The partner systems the actor may ``view`` (or ``change``)."""
    return PartnerSystem.objects.restrict(actor, action).select_related("region", "source_administration", "account")


def partner_get(*, actor: Actor, pk: int) -> PartnerSystem:
    """One partner the actor may view; another RILO's partner does not exist for them."""
    partner = partners_reachable(actor=actor).filter(pk=pk).first()
    if partner is None:
        raise NotFound(_("No such partner system."))
    return partner


def partner_policies(*, actor: Actor, partner: PartnerSystem) -> QuerySet[SharingPolicy]:
    """Every policy version of a partner the actor may see, newest first."""
    return (
        SharingPolicy.objects.restrict(actor, "view")
        .filter(partner=partner)
        .select_related("created_by")
        .order_by("-version")
    )


def source_administration_choices(*, actor: Actor) -> QuerySet[Administration]:
    """Administrations a partner of the actor's RILO may speak for: the RILO's own members."""
    return Administration.objects.restrict(actor, "view").filter(active=True).order_by("name")


# --- policies ------------------------------------------------------------------------------------


# Policy versions this process has read, by (id, created_at). A version never changes once written
# (a trigger refuses updates), so fan-out, which runs for every approval, reads only which version is
# current and takes the rest from here.
_versions: ProcessCache[tuple[int, dt.datetime], SharingPolicy] = process_cache(
    "exchange.policy_versions", limit=10_000
)


def current_policies(*, partner_ids: Iterable[int]) -> dict[int, SharingPolicy]:
    """Each partner's current (highest) policy version; partners without one are absent (default deny).

    The instances are shared by the process's threads: read them, never change them or follow their
    relations (they would keep what they found)."""
    rows = (
        SharingPolicy.objects.filter(partner_id__in=list(partner_ids))
        .order_by("partner_id", "-version")
        .distinct("partner_id")
        .values_list("partner_id", "pk", "created_at")
    )
    current = {partner_id: (pk, created_at) for partner_id, pk, created_at in rows}
    missing = [pk for pk, created_at in current.values() if (pk, created_at) not in _versions]
    if missing:
        for policy in SharingPolicy.objects.filter(pk__in=missing):
            _versions.put((policy.pk, policy.created_at), policy)
    return {partner_id: _versions[key] for partner_id, key in current.items() if key in _versions}


def receivable_regions(*, partner_ids: Iterable[int]) -> dict[int, dict[str, bool]]:
    """Per partner, the regions whose reports it may receive, by code, and whether with personal data.

    Its own RILO's (personal data as its policy says), and those of regions whose administrators
    approved an agreement not revoked since. Fan-out, sending, the pull feed and the dry run all
    ask this; ``decide`` refuses a report of any other region.
    """
    ids = list(partner_ids)
    regions: dict[int, dict[str, bool]] = {
        pk: {code: True} for pk, code in PartnerSystem.objects.filter(pk__in=ids).values_list("pk", "region__code")
    }
    agreed = (
        CrossRegionAgreement.objects.in_force()
        .filter(partner_id__in=ids)
        .values_list("partner_id", "region__code", "personal_data")
    )
    for partner_id, code, personal in agreed:
        regions.setdefault(partner_id, {}).setdefault(code, personal)
    return regions


def partner_receivable_regions(*, partner: PartnerSystem) -> dict[str, bool]:
    """One partner's receivable regions (see :func:`receivable_regions`)."""
    return receivable_regions(partner_ids=[partner.pk]).get(partner.pk, {})


def policy_scope_choices(*, partner: PartnerSystem) -> tuple[QuerySet[Region], QuerySet[Administration]]:
    """The regions and administrations a policy of ``partner`` may list: those it may receive."""
    codes = list(partner_receivable_regions(partner=partner))
    return (
        Region.objects.filter(code__in=codes).order_by("name"),
        Administration.objects.filter(region__code__in=codes).order_by("name"),
    )


def partner_current_policy(*, partner: PartnerSystem) -> SharingPolicy | None:
    """The partner's current policy version, if any."""
    return current_policies(partner_ids=[partner.pk]).get(partner.pk)


# --- cross-region agreements -------------------------------------------------------------------
# Reads start from ``CrossRegionAgreement.objects.restrict(actor, action)``: both regions ``view``
# an agreement; only the other region ``change``\s it (decides or revokes).


def agreements_reachable(*, actor: Actor, action: str = "view") -> QuerySet[CrossRegionAgreement]:
    """The agreements the actor may ``view`` (its RILO's partners', and those addressed to its region) or ``change``."""
    return CrossRegionAgreement.objects.restrict(actor, action).select_related(
        "partner", "partner__region", "region", "requested_by", "decided_by", "revoked_by"
    )


def agreement_get(*, actor: Actor, pk: int) -> CrossRegionAgreement:
    """One agreement the actor may view; any other does not exist for them."""
    agreement = agreements_reachable(actor=actor).filter(pk=pk).first()
    if agreement is None:
        raise NotFound(_("No such agreement."))
    return agreement


def partner_agreements(*, actor: Actor, partner: PartnerSystem) -> QuerySet[CrossRegionAgreement]:
    """The agreements of a partner the actor reached, newest first."""
    return agreements_reachable(actor=actor).filter(partner_id=partner.pk)


def agreements_addressed(*, actor: Actor) -> QuerySet[CrossRegionAgreement]:
    """The agreements other regions' partners asked the actor's region for (the ones it decides)."""
    return agreements_reachable(actor=actor, action="change")


def agreement_region_choices(*, partner: PartnerSystem) -> QuerySet[Region]:
    """Regions a partner may ask for: every region but its own RILO."""
    return Region.objects.exclude(pk=partner.region_id).order_by("name")
