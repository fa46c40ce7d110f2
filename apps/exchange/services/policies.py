"""Sharing policies: a partner's next policy version, made current by a RILO administrator of its RILO.

Versions are immutable (a trigger refuses updates): a change is a new version, checked field by field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import Conflict, PermissionDenied

from ..models import PartnerSystem, SharingPolicy
from ..policy import validate_policy
from ..selectors import partner_current_policy, partner_receivable_regions
from .access import partner_require_manager
from .partners import _personal_data_changed, _require_personal_data_capability


@transaction.atomic
def partner_policy_create(
    *, actor: Actor, partner: PartnerSystem, spec: dict[str, Any], base_version: int | None
) -> SharingPolicy:
    """Save the next policy version of a partner of the actor's RILO.

    ``base_version`` is the version the actor's dry run compared with; if another version was
    saved meanwhile the change is refused (Conflict), so nobody saves over a dry run they did not see.
    """
    partner_require_manager(actor=actor, partner=partner)
    if not actor.has_perm("exchange.add_sharingpolicy"):
        raise PermissionDenied(_("Only RILO administrators change sharing policies."))
    PartnerSystem.objects.select_for_update(no_key=True).filter(pk=partner.pk).first()
    current = partner_current_policy(partner=partner)
    if bool(spec.get("personal_data")) != (current.personal_data if current else False):
        # Turning it off is a change of what the partner receives as much as turning it on.
        _require_personal_data_capability(actor, "personal_data")
    if (current.version if current else None) != base_version:
        shown = _("version %(number)s") % {"number": base_version} if base_version else _("no policy")
        now = _("version %(number)s") % {"number": current.version} if current else _("no policy")
        raise Conflict(
            _(
                "The policy of %(partner)s changed while you were reviewing it (%(shown)s then, %(now)s now). "
                "Run the dry run again."
            )
            % {"partner": partner.name, "shown": shown, "now": now}
        )
    policy = _policy_version_insert(partner=partner, actor=actor, **spec)
    audit_record(
        actor=actor,
        action="exchange.policy_create",
        obj=partner,
        detail={
            "version": policy.version,
            "personal_data": policy.personal_data,
            "regions": list(policy.regions),
            "fields": len(policy.fields),
        },
        region=partner.region,
    )
    if policy.personal_data != (current.personal_data if current else False):
        what = {"policy_version": policy.version, "personal_data": policy.personal_data}
        _personal_data_changed(actor=actor, partner=partner, what=what)
    return policy


def _policy_version_insert(
    *,
    partner: PartnerSystem,
    actor: Actor,
    personal_data: bool = False,
    regions: list[str] | None = None,
    administrations: list[str] | None = None,
    commodity_categories: list[str] | None = None,
    report_kinds: list[str] | None = None,
    thresholds: list[dict[str, Any]] | None = None,
    embargo: dt.timedelta = dt.timedelta(0),
    fields: list[str] | None = None,
    generalisations: dict[str, str] | None = None,
    note: str = "",
) -> SharingPolicy:
    """Make the next policy version of ``partner`` current; refused with a message per field if invalid."""
    spec: dict[str, Any] = {
        "personal_data": personal_data,
        "regions": regions or [],
        "administrations": administrations or [],
        "commodity_categories": commodity_categories or [],
        "report_kinds": report_kinds or [],
        "thresholds": thresholds or [],
        "embargo": embargo,
        "fields": fields or [],
        "generalisations": generalisations or {},
    }
    validate_policy(partner=partner, receivable=partner_receivable_regions(partner=partner), **spec)
    # The caller holds the partner's row lock: versions are numbered one after the other.
    last = SharingPolicy.objects.filter(partner=partner).order_by("-version").values_list("version", flat=True)
    version = (last.first() or 0) + 1
    return SharingPolicy.objects.create(partner=partner, version=version, created_by_id=actor.pk, note=note, **spec)
