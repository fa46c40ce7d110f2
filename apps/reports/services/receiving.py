"""Reports received from a partner system (a peer RILO or a national system): stored as approved versions.

The exchange app checks the message (signature, shape, values), decides what the version means
(new, newer, the same, older, a tombstone), keeps its provenance and records the change in its
outbox (whose snapshot names the source, so after the provenance); this service writes the report
with the same steps as every other write of a report (apply, record).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.core.actor import Actor
from apps.core.exceptions import Conflict, NotFound, PermissionDenied

from ..choices import ReportStatus, Transition
from ..duplicates import store_duplicate_candidates
from ..models import Report
from .steps import apply, record, require_attachable_operation, save

if TYPE_CHECKING:
    from apps.exchange.models import PartnerSystem


def _national_reference(*, administration_id: int, remote_reference: str, report: Report) -> str:
    """The partner's reference when free in that administration, else the report UUID (always unique)."""
    reference = remote_reference[:64]
    if reference:
        taken = Report.objects.filter(administration_id=administration_id, national_reference=reference)
        if report.pk is not None:
            taken = taken.exclude(pk=report.pk)
        if not taken.exists():
            return reference
    return str(report.uuid)


def _trail(*, report: Report, actor: Actor, partner: PartnerSystem, transition: str, from_status: str) -> None:
    outcomes: dict[str, str] = {Transition.APPROVE: "created", Transition.WITHDRAW: "withdrawn"}
    outcome = outcomes.get(transition, "updated")
    record(
        report=report,
        actor=actor,
        transition=transition,
        from_status=from_status,
        comment=f"Received from partner system {partner.name}.",
        detail={"partner": partner.pk, "outcome": outcome},
        audit_action="report.receive",
    )


def _require_partner_account(
    *, partner: PartnerSystem, report: Report | None, version: int, actor: Actor, withdrawn: bool
) -> None:
    """What this service relies on, checked again here rather than trusted to the caller: the partner's own
    account is acting, a held report belongs to the administration the partner speaks for, and the
    version is newer than the one held (the same only for a withdrawal)."""
    if partner.account_id is None or actor.pk != partner.account_id:
        raise PermissionDenied(gettext("Only the partner's own account stores what the partner sent."))
    if partner.source_administration_id is None:
        raise PermissionDenied(gettext("This partner speaks for no administration."))
    if report is None:
        return
    if report.administration_id != partner.source_administration_id:
        raise NotFound(gettext("No such report."))
    if version < report.version or (version == report.version and not withdrawn):
        raise Conflict(gettext("Version %(version)s is not newer than the one held.") % {"version": version})


@transaction.atomic
def report_receive_from_partner(
    *,
    partner: PartnerSystem,
    report: Report | None,
    report_uuid: UUID,
    version: int,
    actor: Actor,
    fields: Mapping[str, Any] | None = None,
    parts: Mapping[str, list[dict[str, Any]]] | None = None,
    remote_reference: str = "",
    withdrawn: bool = False,
) -> Report:
    """Store what a partner sent about one report: a new report, a newer version of it, or its withdrawal.

    ``report`` is the report held here with this ``report_uuid``, locked by the caller (``None`` when
    there is none: then one is created, approved, in the administration the partner speaks for, never
    one taken from the message). ``fields`` and ``parts`` are cleaned values
    (:mod:`apps.reports.validation`); each part given replaces the stored one. ``withdrawn`` stores
    the tombstone of a held report. ``actor`` is the partner's account. Each change is recorded on
    the report's trail and audited as ``report.receive``; the caller then records its provenance and
    puts it in the outbox (``apps.exchange.services.outbox_record``), as an approval is.
    """
    _require_partner_account(partner=partner, report=report, version=version, actor=actor, withdrawn=withdrawn)
    now = timezone.now()
    values = dict(fields or {})
    if report is None:
        administration = partner.source_administration
        assert administration is not None  # noqa: S101 (inbound_peer refuses a peer without one)
        report = Report(
            uuid=report_uuid,
            administration=administration,
            status=ReportStatus.APPROVED,
            version=version,
            created_by_id=actor.pk,
            submitted_by_id=actor.pk,
            approved_by_id=actor.pk,
            submitted_at=now,
            approved_at=now,
        )
        report.national_reference = _national_reference(
            administration_id=administration.pk, remote_reference=remote_reference, report=report
        )
        require_attachable_operation(report, actor, values)
        apply(report=report, actor=actor, report_values=values, parts=dict(parts or {}))
        _trail(report=report, actor=actor, partner=partner, transition=Transition.APPROVE, from_status="")
        store_duplicate_candidates(report)
        return report

    from_status = report.status
    report.version = version
    if withdrawn:
        report.status = ReportStatus.WITHDRAWN
        save(report, actor, update_fields=["status", "version"])
        _trail(report=report, actor=actor, partner=partner, transition=Transition.WITHDRAW, from_status=from_status)
        return report

    report.status = ReportStatus.APPROVED
    report.approved_at = now
    report.approved_by_id = actor.pk
    if remote_reference:
        report.national_reference = _national_reference(
            administration_id=report.administration_id, remote_reference=remote_reference, report=report
        )
    require_attachable_operation(report, actor, values)
    apply(report=report, actor=actor, report_values=values, parts=dict(parts or {}))
    _trail(report=report, actor=actor, partner=partner, transition=Transition.CORRECT, from_status=from_status)
    return report
