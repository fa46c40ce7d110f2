"""The review workflow (DESIGN.md 4.2) and the steps every write on a report shares.

The steps (lock, checks, apply, record) are used by the drafting, sharing, attachment and
receiving services beside this module, so a report's state has one writer. Every service is
keyword-only and atomic. A workflow service locks the report row (``SELECT ... FOR UPDATE``), then
checks, in this order:

1. the actor may see the report at all (``restrict(actor, "view")``), else :class:`NotFound`;
2. the transition is legal from the report's *current* state, else :class:`Conflict` (HTTP 409);
3. the actor may take this action on this report (``restrict(actor, action)``), else
   :class:`PermissionDenied`.

It then writes the change, a :class:`ReviewEvent`, an audit event, and writes e-mails to the mail
outbox (sent by a worker after commit). Invalid input raises ``django.core.exceptions.ValidationError`` keyed by
field name (see :mod:`apps.reports.validation`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.core.rows import Reader, insert
from apps.exchange.services import outbox_record

from .. import notifications
from ..choices import ReportStatus, Transition
from ..duplicates import store_duplicate_candidates
from ..grants import review_assignments_end
from ..models import Conveyance, Operation, Party, Report, ReportItem, ReviewEvent, RouteCountry
from ..search import refresh_search_vectors
from ..selectors import joint_operations_attachable
from ..validation import (
    Errors,
    check_complete,
    clean_conveyance,
    clean_item,
    clean_parts,
    clean_party,
    clean_report_fields,
    clean_route_step,
)

Rows = Sequence[Mapping[str, Any]]


# --- steps shared by every write on a report (drafting, receiving, sharing, attachments) ----------


def _can(actor: Actor, action: str, report: Report) -> bool:
    return Report.objects.allows(actor, action, report.pk)


# The report's row, locked, with its administration (read by the audit event and the e-mails).
_LOCKED = Reader(Report, "WHERE reports_report.id = %s FOR UPDATE OF reports_report", related=["administration"])


def _lock(*, report: Report, actor: Actor) -> Report:
    """The report's row, locked for this transaction, if the actor may see it."""
    if not _can(actor, "view", report):
        raise NotFound("Report not found.")
    rows = _LOCKED.all([report.pk])
    if not rows:
        raise NotFound("Report not found.")
    return cast(Report, rows[0])


def _require_state(report: Report, allowed: Iterable[str], doing: str) -> None:
    allowed = list(allowed)
    if report.status not in allowed:
        names = " or ".join(ReportStatus(state).label.lower() for state in allowed)
        raise Conflict(
            f"Report {report.national_reference} is {report.get_status_display().lower()}; "
            f"only a {names} report can be {doing}.",
            extra={"status": report.status},
        )


def _require_right(report: Report, actor: Actor, action: str, doing: str) -> None:
    if not _can(actor, action, report):
        raise PermissionDenied(f"You may not {doing} report {report.national_reference}.")


def _require_text(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: [message]})
    return text


def _record(
    *,
    report: Report,
    actor: Actor,
    transition: str,
    from_status: str,
    comment: str = "",
    detail: dict[str, Any] | None = None,
    free_text_checked: bool = False,
    audit_action: str = "",
) -> ReviewEvent:
    """The workflow trail and the audit log of one transition (no comment in the audit detail: free text).

    The audit action is ``report.<transition>`` unless ``audit_action`` names another (a report received).
    """
    [event] = insert(
        [
            ReviewEvent.of(
                report,
                actor=actor,
                transition=transition,
                from_status=from_status,
                comment=comment,
                free_text_checked=free_text_checked,
            )
        ]
    )
    audit_record(
        actor=actor,
        action=audit_action or f"report.{transition}",
        obj=report,
        detail={"from": from_status, "to": report.status, "version": report.version, **(detail or {})},
    )
    return event


def _save(report: Report, actor: Actor, *, reason: str = "", update_fields: Sequence[str] | None = None) -> None:
    report._history_user = actor  # type: ignore[attr-defined]
    if reason:
        report._change_reason = reason  # type: ignore[attr-defined]
    if update_fields is not None:
        report.save(update_fields=[*update_fields, "updated_at"])
    else:
        report.save()


def _clean_all(
    *,
    fields: Mapping[str, Any],
    items: Rows | None,
    route: Rows | None,
    conveyances: Rows | None,
    parties: Rows | None,
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]] | None]]:
    errors = Errors()
    report_values = clean_report_fields(fields, errors=errors)
    parts = {
        "items": clean_parts(items, clean_item, errors=errors),
        "route": clean_parts(route, clean_route_step, errors=errors),
        "conveyances": clean_parts(conveyances, clean_conveyance, errors=errors),
        "parties": clean_parts(parties, clean_party, errors=errors),
    }
    errors.raise_if_any()
    return report_values, parts


def _check_reference_unique(report: Report) -> None:
    taken = Report.objects.filter(
        administration_id=report.administration_id, national_reference=report.national_reference
    ).exclude(pk=report.pk)
    if taken.exists():
        raise ValidationError({"national_reference": ["Your administration already has a report with this reference."]})


_PART_MODELS: dict[str, type[models.Model]] = {
    "items": ReportItem,
    "route": RouteCountry,
    "conveyances": Conveyance,
    "parties": Party,
}


def _require_personal_right(report: Report, actor: Actor, parts: Mapping[str, Rows | None]) -> None:
    if parts.get("parties") is not None and not _can(actor, "view_personal_data", report):
        raise PermissionDenied("You may not change the persons and companies of this report.")


def _require_attachable_operation(report: Report, actor: Actor, report_values: Mapping[str, Any]) -> None:
    """The joint operation given, if any, is one this report may be attached to (a field error if not)."""
    operation = report_values.get("operation")
    if not isinstance(operation, Operation) or operation.pk == report.operation_id:
        return  # none given, or the one it has already: nothing is attached anew
    attachable = joint_operations_attachable(actor=actor, administration=report.administration)
    if not attachable.filter(pk=operation.pk).exists():
        # The same answer as for a code that does not exist: another region's operations are not disclosed.
        message = gettext("Unknown operation: %(code)r.") % {"code": operation.code}
        raise ValidationError({"operation": [message]})


def _apply(
    *, report: Report, actor: Actor, report_values: dict[str, Any], parts: Mapping[str, list[dict[str, Any]] | None]
) -> None:
    """Write cleaned values: report fields, then each given part replaced as a whole.

    Rights are the caller's to check (see :func:`_require_personal_right`); the values are clean.
    """
    values = dict(report_values)
    detection_methods = values.pop("detection_methods", None)
    for name, value in values.items():
        setattr(report, name, value)
    _check_reference_unique(report)
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin reference must not poison the transaction
            _save(report, actor)
    except IntegrityError as error:
        if "report_national_reference_unique" not in str(error):
            raise
        raise ValidationError(
            {"national_reference": ["Your administration already has a report with this reference."]}
        ) from error
    if detection_methods is not None:
        report.detection_methods.set(detection_methods)
    for part, rows in parts.items():
        if rows is None:
            continue
        model = _PART_MODELS[part]
        for old in model.objects.filter(report=report):  # type: ignore[attr-defined]
            old._history_user = actor
            old.delete()
        bulk_create_with_history([model(report=report, **row) for row in rows], model, default_user=actor)
    refresh_search_vectors([report.pk])


def _check_complete(report: Report) -> None:
    errors = Errors()
    values = {name: getattr(report, name) for name in ("form_variant", "kind", "national_reference", "place")}
    values |= {
        "seizure_date": report.seizure_date,
        "country_of_seizure": report.country_of_seizure.code if report.country_of_seizure else "",
        "location_type": report.location_type_id,
        "direction": report.direction_id,
        "transport_mode": report.transport_mode_id,
    }
    check_complete(
        report_values=values,
        detection_methods=list(report.detection_methods.all()),
        items=list(report.items.all()),
        route=list(report.route.all()),
        errors=errors,
    )
    errors.raise_if_any()


# --- workflow ----------------------------------------------------------------------------------


# The state a report is sent for review from, and the transition the trail records for it.
_SENT_FOR_REVIEW_FROM = {ReportStatus.DRAFT: Transition.SUBMIT, ReportStatus.RETURNED: Transition.RESUBMIT}


@transaction.atomic
def report_send_for_review(*, report: Report, actor: Actor) -> Report:
    """Send a draft for review, or a returned report back for review after correction.

    The report's current state decides which (the trail records ``submit`` or ``resubmit``); it
    must meet its form variant's required fields, and duplicate candidates are looked for.
    """
    locked = _lock(report=report, actor=actor)
    _require_state(locked, _SENT_FOR_REVIEW_FROM, "submitted")
    _require_right(locked, actor, "submit", "submit")
    _check_complete(locked)
    from_status = locked.status
    locked.status = ReportStatus.SUBMITTED
    locked.submitted_by_id = actor.pk
    locked.submitted_at = timezone.now()
    _save(locked, actor, update_fields=["status", "submitted_by", "submitted_at"])
    candidates = store_duplicate_candidates(locked)
    # Count only the candidates the submitter may see: the trail must not tell of reports out of their reach.
    visible = Report.objects.restrict(actor, "view").filter(pk__in=[c.candidate_id for c in candidates]).count()
    _record(
        report=locked,
        actor=actor,
        transition=_SENT_FOR_REVIEW_FROM[ReportStatus(from_status)],
        from_status=from_status,
        detail={"duplicate_candidates": visible},
    )
    notifications.notify_submitted(locked)
    return locked


@transaction.atomic
def report_return(*, report: Report, actor: Actor, comment: str) -> Report:
    """Return a submitted report to its administration for correction; the comment says what to fix."""
    comment = _require_text(comment, "comment", "Say what needs correcting.")
    locked = _lock(report=report, actor=actor)
    _require_state(locked, [ReportStatus.SUBMITTED], "returned")
    _require_right(locked, actor, "review", "return")
    locked.status = ReportStatus.RETURNED
    _save(locked, actor, update_fields=["status"])
    _record(
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
    locked = _lock(report=report, actor=actor)
    _require_state(locked, [ReportStatus.SUBMITTED], "approved")
    _require_right(locked, actor, "approve", "approve")
    locked.status = ReportStatus.APPROVED
    locked.approved_by_id = actor.pk
    locked.approved_at = timezone.now()
    _save(locked, actor, update_fields=["status", "approved_by", "approved_at"])
    _record(
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
    reason = _require_text(reason, "reason", "Say why the report is corrected.")
    locked = _lock(report=report, actor=actor)
    _require_state(locked, [ReportStatus.APPROVED], "corrected")
    _require_right(locked, actor, "correct", "correct")
    report_values, parts = _clean_all(
        fields=fields or {}, items=items, route=route, conveyances=conveyances, parties=parties
    )
    _require_personal_right(locked, actor, parts)
    _require_attachable_operation(locked, actor, report_values)
    locked.version += 1
    locked._change_reason = reason  # type: ignore[attr-defined]
    _apply(report=locked, actor=actor, report_values=report_values, parts=parts)
    _check_complete(locked)
    _record(
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
    reason = _require_text(reason, "reason", "Say why the report is withdrawn.")
    locked = _lock(report=report, actor=actor)
    _require_state(locked, [ReportStatus.APPROVED], "withdrawn")
    _require_right(locked, actor, "withdraw", "withdraw")
    locked.status = ReportStatus.WITHDRAWN
    _save(locked, actor, reason=reason, update_fields=["status"])
    _record(
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
    locked = _lock(report=report, actor=actor)
    if not _can(actor, "view", of):
        raise NotFound("The original report was not found.")
    _require_state(locked, [ReportStatus.SUBMITTED, ReportStatus.APPROVED], "marked as duplicate")
    _require_right(locked, actor, "mark_duplicate", "mark as duplicate")
    original = Report.objects.get(pk=of.pk)  # fresh: the caller's copy may be stale
    if original.duplicate_of_id is not None:
        original = Report.objects.get(pk=original.duplicate_of_id)
    if original.pk == locked.pk:
        raise Conflict("A report cannot be a duplicate of itself.")
    if locked.duplicate_of_id is not None:
        raise Conflict(f"Report {locked.national_reference} is already marked as a duplicate.")
    locked.duplicate_of = original
    _save(locked, actor, update_fields=["duplicate_of"])
    # Reports that were marked duplicates of this one now point at the original.
    Report.objects.filter(duplicate_of=locked).update(duplicate_of=original)
    _record(
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
