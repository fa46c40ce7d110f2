"""The review workflow (DESIGN.md 4.2): submit, return, approve, correct, withdraw, mark a duplicate.

Each service is built from the shared steps of :mod:`.steps` (the drafting, sharing, attachment and
receiving services beside this module use the same steps, so a report's state has one writer).
Every service is keyword-only and atomic. A workflow service locks the report row
(``SELECT ... FOR UPDATE``), then checks, in this order:

1. the actor may see the report at all (``restrict(actor, "view")``), else :class:`NotFound`;
2. the transition is legal from the report's *current* state, else :class:`Conflict` (HTTP 409);
3. the actor may take this action on this report (``restrict(actor, action)``), else
   :class:`PermissionDenied`.

It then writes the change, a :class:`ReviewEvent`, an audit event, and writes e-mails to the mail
outbox (sent by a worker after commit). Invalid input raises ``django.core.exceptions.ValidationError`` keyed by
field name (see :mod:`apps.reports.validation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.actor import Actor
from apps.core.exceptions import Conflict, NotFound
from apps.exchange.services import outbox_record

from .. import notifications
from ..choices import ReportStatus, Transition
from ..duplicates import candidates_told, store_duplicate_candidates
from ..grants import review_assignments_end
from ..models import DuplicateCandidate, Report
from .steps import (
    Rows,
    apply,
    can,
    clean_change,
    lock,
    record,
    require_complete,
    require_right,
    require_state,
    save,
)


def _require_text(value: str, field: str, message: Any) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: [message]})
    return text


def _check_complete(report: Report) -> None:
    values = {name: getattr(report, name) for name in ("form_variant", "kind", "national_reference", "place")}
    values |= {
        "seizure_date": report.seizure_date,
        "country_of_seizure": report.country_of_seizure.code if report.country_of_seizure else "",
        "location_type": report.location_type_id,
        "direction": report.direction_id,
        "transport_mode": report.transport_mode_id,
    }
    require_complete(
        report_values=values,
        detection_methods=list(report.detection_methods.all()),
        items=list(report.items.all()),
        route=list(report.route.all()),
    )


# --- workflow ----------------------------------------------------------------------------------


# The state a report is sent for review from, and the transition the trail records for it.
SENT_FOR_REVIEW_FROM = {ReportStatus.DRAFT: Transition.SUBMIT, ReportStatus.RETURNED: Transition.RESUBMIT}


@transaction.atomic
def report_send_for_review(*, report: Report, actor: Actor) -> Report:
    """Send a draft for review, or a returned report back for review after correction.

    The report's current state decides which (the trail records ``submit`` or ``resubmit``); it
    must meet its form variant's required fields, and duplicate candidates are looked for.
    """
    locked = lock(report=report, actor=actor)
    require_state(locked, SENT_FOR_REVIEW_FROM, "submit")
    require_right(locked, actor, "submit", "submit")
    _check_complete(locked)
    from_status = locked.status
    locked.status = ReportStatus.SUBMITTED
    locked.submitted_by_id = actor.pk
    locked.submitted_at = timezone.now()
    save(locked, actor, update_fields=["status", "submitted_by", "submitted_at"])
    # Count only the candidates the submitter may be told of: the trail must not tell of reports out of their reach,
    # nor that a conveyance they may not see is the same as theirs.
    told = 0
    if store_duplicate_candidates(locked):
        told = candidates_told(actor, DuplicateCandidate.objects.filter(report=locked)).count()
    record(
        report=locked,
        actor=actor,
        transition=SENT_FOR_REVIEW_FROM[ReportStatus(from_status)],
        from_status=from_status,
        detail={"duplicate_candidates": told},
    )
    notifications.notify_submitted(locked)
    return locked


@transaction.atomic
def report_return(*, report: Report, actor: Actor, comment: str) -> Report:
    """Return a submitted report to its administration for correction; the comment says what to fix."""
    comment = _require_text(comment, "comment", _("Say what needs correcting."))
    locked = lock(report=report, actor=actor)
    require_state(locked, [ReportStatus.SUBMITTED], "return")
    require_right(locked, actor, "review", "return")
    locked.status = ReportStatus.RETURNED
    save(locked, actor, update_fields=["status"])
    record(
        report=locked, actor=actor, transition=Transition.RETURN, from_status=ReportStatus.SUBMITTED, comment=comment
    )
    review_assignments_end(report=locked, actor=actor)
    notifications.notify_returned(locked, comment)
    return locked


@transaction.atomic
def report_approve(*, report: Report, actor: Actor, comment: str = "", free_text_checked: bool = False) -> Report:
    """Approve a submitted report. Of two reviewers approving at once, exactly one wins; the other gets a Conflict.

    ``free_text_checked``: the analyst read the report's free text (places, customs office, item
    descriptions, brands, attributes) and found no personal data in it, so partners without personal
    data may receive it (recorded on the approval's review event; the snapshot reads it from there).
    """
    locked = lock(report=report, actor=actor)
    require_state(locked, [ReportStatus.SUBMITTED], "approve")
    require_right(locked, actor, "approve", "approve")
    locked.status = ReportStatus.APPROVED
    locked.approved_by_id = actor.pk
    locked.approved_at = timezone.now()
    save(locked, actor, update_fields=["status", "approved_by", "approved_at"])
    record(
        report=locked,
        actor=actor,
        transition=Transition.APPROVE,
        from_status=ReportStatus.SUBMITTED,
        comment=comment,
        detail={"free_text_checked": free_text_checked},
        free_text_checked=free_text_checked,
    )
    review_assignments_end(report=locked, actor=actor)
    outbox_record(report=locked, event_type="approved")
    notifications.notify_approved(locked)
    return locked


@transaction.atomic
def report_correct(
    *,
    report: Report,
    actor: Actor,
    reason: str,
    fields: Mapping[str, Any] | None = None,
    items: Rows | None = None,
    route: Rows | None = None,
    conveyances: Rows | None = None,
    parties: Rows | None = None,
    free_text_checked: bool = False,
) -> Report:
    """Correct an approved report: the changes make a new approved version (``version`` + 1), re-forwarded.

    The new version's free text is checked anew: ``free_text_checked`` says so for this version only.
    """
    reason = _require_text(reason, "reason", _("Say why the report is corrected."))
    locked = lock(report=report, actor=actor)
    require_state(locked, [ReportStatus.APPROVED], "correct")
    require_right(locked, actor, "correct", "correct")
    report_values, parts = clean_change(
        locked, actor, fields=fields, items=items, route=route, conveyances=conveyances, parties=parties
    )
    locked.version += 1
    locked._change_reason = reason  # type: ignore[attr-defined]
    apply(report=locked, actor=actor, report_values=report_values, parts=parts)
    _check_complete(locked)
    record(
        report=locked,
        actor=actor,
        transition=Transition.CORRECT,
        from_status=ReportStatus.APPROVED,
        comment=reason,
        detail={
            "fields": sorted(report_values),
            "parts": sorted(k for k, v in parts.items() if v is not None),
            "free_text_checked": free_text_checked,
        },
        free_text_checked=free_text_checked,
    )
    outbox_record(report=locked, event_type="corrected")
    return locked


@transaction.atomic
def report_withdraw(*, report: Report, actor: Actor, reason: str) -> Report:
    """Withdraw an approved report: a tombstone forwarded to every partner that received it."""
    reason = _require_text(reason, "reason", _("Say why the report is withdrawn."))
    locked = lock(report=report, actor=actor)
    require_state(locked, [ReportStatus.APPROVED], "withdraw")
    require_right(locked, actor, "withdraw", "withdraw")
    locked.status = ReportStatus.WITHDRAWN
    save(locked, actor, reason=reason, update_fields=["status"])
    record(
        report=locked, actor=actor, transition=Transition.WITHDRAW, from_status=ReportStatus.APPROVED, comment=reason
    )
    review_assignments_end(report=locked, actor=actor)
    outbox_record(report=locked, event_type="withdrawn")
    return locked


@transaction.atomic
def report_mark_duplicate(*, report: Report, of: Report, actor: Actor, comment: str = "") -> Report:
    """Record that ``report`` describes the same seizure as ``of``: it no longer counts and is never forwarded.

    A duplicate of a duplicate points at the original.
    """
    locked = lock(report=report, actor=actor)
    if not can(actor, "view", of):
        raise NotFound(_("The original report was not found."))
    require_state(locked, [ReportStatus.SUBMITTED, ReportStatus.APPROVED], "mark_duplicate")
    require_right(locked, actor, "mark_duplicate", "mark_duplicate")
    original = Report.objects.get(pk=of.pk)  # fresh: the caller's copy may be stale
    if original.duplicate_of_id is not None:
        original = Report.objects.get(pk=original.duplicate_of_id)
    if original.pk == locked.pk:
        raise Conflict(_("A report cannot be a duplicate of itself."))
    if locked.duplicate_of_id is not None:
        raise Conflict(
            _("Report %(national_reference)s is already marked as a duplicate.")
            % {"national_reference": locked.national_reference}
        )
    locked.duplicate_of = original
    save(locked, actor, update_fields=["duplicate_of"])
    # Reports that were marked duplicates of this one now point at the original.
    Report.objects.filter(duplicate_of=locked).update(duplicate_of=original)
    record(
        report=locked,
        actor=actor,
        transition=Transition.MARK_DUPLICATE,
        from_status=locked.status,
        comment=comment,
        detail={"duplicate_of": str(original.uuid)},
    )
    if locked.status == ReportStatus.APPROVED:
        outbox_record(report=locked, event_type="withdrawn")  # partners holding it must not count it twice
    return locked
