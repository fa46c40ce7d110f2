"""Cross-region agreements: another region lets a partner of this region receive its reports.

A partner receives its own RILO's reports only (``decide`` refuses every other region's). An
administrator of the partner's RILO asks another region for its reports (:func:`agreement_request`);
an administrator of that other region approves or refuses (:func:`agreement_approve`,
:func:`agreement_refuse`) and may revoke an approval at any time (:func:`agreement_revoke`). Each
step is audited twice, once in each region, so both regions' auditors see it.

The reads (``agreements_reachable``, ``agreement_get``, ...) are in :mod:`apps.exchange.selectors`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.tenancy.models import Region

from ..models import CrossRegionAgreement, PartnerSystem
from .access import partner_require_manager


def _audit_both_sides(
    *, actor: Actor, action: str, agreement: CrossRegionAgreement, extra: dict[str, Any] | None = None
) -> None:
    """One event in the partner's region and one in the other region, so both regions' auditors see it."""
    detail = {
        "partner": agreement.partner_id,
        "partner_region": agreement.partner.region.code,
        "region": agreement.region.code,
        "personal_data": agreement.personal_data,
        **(extra or {}),
    }
    for region in (agreement.partner.region, agreement.region):
        audit_record(actor=actor, action=action, obj=agreement, detail=detail, region=region)


@transaction.atomic
def agreement_request(
    *, actor: Actor, partner: PartnerSystem, region: Region, personal_data: bool = False
) -> CrossRegionAgreement:
    """Ask ``region``'s administrators to let ``partner`` (of the actor's RILO) receive their region's reports."""
    partner_require_manager(actor=actor, partner=partner)
    if not actor.has_perm("exchange.add_crossregionagreement"):
        raise PermissionDenied(_("You may not ask other regions for their reports."))
    locked = PartnerSystem.objects.select_for_update(no_key=True).select_related("region").get(pk=partner.pk)
    if region.pk == locked.region_id:
        raise ValidationError({"region": [_("A partner receives its own RILO's reports without an agreement.")]})
    if personal_data and not locked.personal_data_allowed:
        raise ValidationError(
            {"personal_data": [_("%(partner)s may not receive personal data.") % {"partner": locked.name}]}
        )
    if (
        CrossRegionAgreement.objects.filter(partner=locked, region=region, revoked_at__isnull=True)
        .exclude(approved=False)
        .exists()
    ):
        raise Conflict(
            _("%(partner)s already has an agreement with %(region)s, asked or in force.")
            % {"partner": locked.name, "region": region.name}
        )
    agreement = CrossRegionAgreement.objects.create(
        partner=locked, region=region, personal_data=personal_data, requested_by_id=actor.pk
    )
    _audit_both_sides(actor=actor, action="exchange.agreement_request", agreement=agreement)
    return agreement


def _decidable(actor: Actor, agreement: CrossRegionAgreement) -> CrossRegionAgreement:
    """The agreement locked, if the actor is an administrator of the region it covers.

    Out of the actor's sight it does not exist (404); seen from the partner's own RILO it is
    theirs to ask for, not to decide (403): an administrator never approves their own partner.
    """
    locked = (
        CrossRegionAgreement.objects.select_for_update(of=("self",))
        .select_related("partner", "partner__region", "region")
        .filter(pk=agreement.pk)
        .first()
    )
    if locked is None or not CrossRegionAgreement.objects.restrict(actor, "view").filter(pk=locked.pk).exists():
        raise NotFound(_("No such agreement."))
    if (
        not actor.has_perm("exchange.change_crossregionagreement")
        or not CrossRegionAgreement.objects.restrict(actor, "change").filter(pk=locked.pk).exists()
    ):
        raise PermissionDenied(
            _("Only administrators of %(region)s decide on this agreement.") % {"region": locked.region.name}
        )
    return locked


def _decide(*, actor: Actor, agreement: CrossRegionAgreement, approved: bool) -> CrossRegionAgreement:
    locked = _decidable(actor, agreement)
    if locked.approved is not None or locked.revoked_at is not None:
        raise Conflict(_("This agreement was decided already (%(status)s).") % {"status": locked.get_status_display()})
    locked.approved, locked.decided_by_id, locked.decided_at = approved, actor.pk, timezone.now()
    locked.save(update_fields=["approved", "decided_by", "decided_at"])
    action = "exchange.agreement_approve" if approved else "exchange.agreement_refuse"
    _audit_both_sides(actor=actor, action=action, agreement=locked)
    return locked


@transaction.atomic
def agreement_approve(*, actor: Actor, agreement: CrossRegionAgreement) -> CrossRegionAgreement:
    """Approve a request addressed to the actor's region: its reports may now reach the partner."""
    return _decide(actor=actor, agreement=agreement, approved=True)


@transaction.atomic
def agreement_refuse(*, actor: Actor, agreement: CrossRegionAgreement) -> CrossRegionAgreement:
    """Refuse a request addressed to the actor's region: nothing of its reports reaches the partner."""
    return _decide(actor=actor, agreement=agreement, approved=False)


@transaction.atomic
def agreement_revoke(*, actor: Actor, agreement: CrossRegionAgreement) -> CrossRegionAgreement:
    """End an approved agreement: from now on the region's reports are refused at fan-out, at send and in the feed."""
    locked = _decidable(actor, agreement)
    if locked.approved is not True or locked.revoked_at is not None:
        raise Conflict(
            _("Only an agreement in force can be revoked (this one is %(status)s).")
            % {"status": locked.get_status_display()}
        )
    locked.revoked_by_id, locked.revoked_at = actor.pk, timezone.now()
    locked.save(update_fields=["revoked_by", "revoked_at"])
    _audit_both_sides(actor=actor, action="exchange.agreement_revoke", agreement=locked)
    return locked


def _agreements_ask_again(
    *, actor: Actor, partner: PartnerSystem, moved: tuple[str, str]
) -> list[CrossRegionAgreement]:
    """After ``partner``'s endpoint moved to another host, every agreement in force is asked for again.

    The other region approved sending its reports to the old host, not to the new one: each
    agreement in force is ended (``revoked_by`` the actor who moved the endpoint) and a new request
    with the same terms takes its place, which that region's administrators decide again. Both steps
    are audited in both regions, with the old and new hosts, so the other region's auditors see the
    move. Called by :func:`apps.exchange.services.partners.partner_update`, inside its transaction.
    """
    now = timezone.now()
    asked: list[CrossRegionAgreement] = []
    in_force = (
        CrossRegionAgreement.objects.in_force()
        .select_for_update(of=("self",))
        .select_related("partner", "partner__region", "region")
        .filter(partner_id=partner.pk)
    )
    for agreement in in_force:
        agreement.revoked_by_id, agreement.revoked_at = actor.pk, now
        agreement.save(update_fields=["revoked_by", "revoked_at"])
        again = CrossRegionAgreement.objects.create(
            partner=agreement.partner,
            region=agreement.region,
            personal_data=agreement.personal_data,
            requested_by_id=actor.pk,
            requested_at=now,
        )
        extra = {"old_host": moved[0], "new_host": moved[1], "replaces": agreement.pk}
        _audit_both_sides(actor=actor, action="exchange.agreement_revoke", agreement=agreement, extra=extra)
        _audit_both_sides(actor=actor, action="exchange.agreement_request", agreement=again, extra=extra)
        asked.append(again)
    return asked
