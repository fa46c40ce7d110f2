"""Writes on reports: drafting, the review workflow (DESIGN.md 4.2), duplicates, shares and attachments.

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

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, cast
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from guardian.shortcuts import assign_perm, remove_perm
from simple_history.utils import bulk_create_with_history

from apps.audit.services import audit_record
from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.core.rows import Reader, insert
from apps.exchange.services import outbox_record
from apps.tenancy.models import Administration

from . import notifications
from .choices import EDITABLE_STATES, REVIEWABLE_STATES, ReportStatus, Transition
from .duplicates import store_duplicate_candidates
from .grants import REVIEWER_PERMISSIONS, review_assignments_end
from .models import (
    Attachment,
    Conveyance,
    Party,
    Report,
    ReportGroupObjectPermission,
    ReportItem,
    ReviewEvent,
    RouteCountry,
)
from .querysets import administration_group_name
from .search import refresh_search_vectors
from .sniffing import ALLOWED_TYPES, sniff_content_type
from .validation import (
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


# --- helpers -----------------------------------------------------------------------------------


def _can(actor: Any, action: str, report: Report) -> bool:
    return Report.objects.allows(actor, action, report.pk)


# The report's row, locked, with its administration (read by the audit event and the e-mails).
_LOCKED = Reader(Report, "WHERE reports_report.id = %s FOR UPDATE OF reports_report", related=["administration"])


def _lock(*, report: Report, actor: Any) -> Report:
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


def _require_right(report: Report, actor: Any, action: str, doing: str) -> None:
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
    actor: Any,
    transition: str,
    from_status: str,
    comment: str = "",
    detail: dict[str, Any] | None = None,
    free_text_checked: bool = False,
) -> ReviewEvent:
    """The workflow trail and the audit log of one transition (no comment in the audit detail: free text)."""
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
        action=f"report.{transition}",
        obj=report,
        detail={"from": from_status, "to": report.status, "version": report.version, **(detail or {})},
    )
    return event


def _save(report: Report, actor: Any, *, reason: str = "", update_fields: Sequence[str] | None = None) -> None:
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


def _apply(
    *, report: Report, actor: Any, report_values: dict[str, Any], parts: Mapping[str, list[dict[str, Any]] | None]
) -> None:
    """Write cleaned values: report fields, then each given part replaced as a whole."""
    if parts.get("parties") is not None and not _can(actor, "view_personal_data", report):
        raise PermissionDenied("You may not change the persons and companies of this report.")
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


# --- drafting ----------------------------------------------------------------------------------


@transaction.atomic
def report_create_draft(
    *,
    actor: Any,
    fields: Mapping[str, Any],
    items: Rows = (),
    route: Rows = (),
    conveyances: Rows = (),
    parties: Rows = (),
    uuid: UUID | None = None,
) -> Report:
    """Create a draft report in the actor's administration (never one taken from input).

    ``fields`` holds report fields (see ``validation.REPORT_INPUT_FIELDS``); a draft needs at
    least its national reference, seizure date and country of seizure. Parts are lists of rows.
    ``uuid`` is the identity a pushing system gave the report (a new one when absent).
    """
    if not actor.has_perm("reports.add_report") or not actor.administration_id:
        raise PermissionDenied("You may not create reports.")
    fields = dict(fields)
    for name in ("national_reference", "seizure_date", "country_of_seizure"):
        fields.setdefault(name, None)
    report_values, parts = _clean_all(fields=fields, items=items, route=route, conveyances=conveyances, parties=parties)
    report = Report(administration_id=actor.administration_id, created_by=actor, status=ReportStatus.DRAFT)
    if uuid is not None:
        report.uuid = uuid
    if parties and not actor.has_perm("reports.view_personal_data_report"):
        raise PermissionDenied("You may not record persons and companies.")
    # Saved first so the parts can point at it; the personal-data check above stands in for _can().
    parts_without_parties = {**parts, "parties": None}
    _apply(report=report, actor=actor, report_values=report_values, parts=parts_without_parties)
    if parts.get("parties"):
        bulk_create_with_history(
            [Party(report=report, **row) for row in parts["parties"] or []], Party, default_user=actor
        )
    _record(report=report, actor=actor, transition=Transition.CREATE, from_status="")
    return report


@transaction.atomic
def report_update_draft(
    *,
    report: Report,
    actor: Any,
    fields: Mapping[str, Any] | None = None,
    items: Rows | None = None,
    route: Rows | None = None,
    conveyances: Rows | None = None,
    parties: Rows | None = None,
) -> Report:
    """Change a draft or returned report. Each part given (items, route, ...) replaces the old one as a whole;
    a part left ``None`` stays as it is."""
    locked = _lock(report=report, actor=actor)
    _require_state(locked, EDITABLE_STATES, "edited")
    _require_right(locked, actor, "change", "edit")
    report_values, parts = _clean_all(
        fields=fields or {}, items=items, route=route, conveyances=conveyances, parties=parties
    )
    _apply(report=locked, actor=actor, report_values=report_values, parts=parts)
    audit_record(
        actor=actor,
        action="report.update",
        obj=locked,
        detail={"fields": sorted(report_values), "parts": sorted(k for k, v in parts.items() if v is not None)},
    )
    return locked


def _upsert_target(*, actor: Any, uuid: UUID | None, national_reference: Any) -> Report | None:
    """The report a push names: by ``uuid`` among those the actor may see, else by national reference
    in the actor's administration."""
    reports = Report.objects.restrict(actor, "view")
    if uuid is not None:
        found = reports.filter(uuid=uuid).first()
        if found is not None:
            return found
    reference = str(national_reference or "").strip()
    if not reference:
        return None
    return reports.filter(administration_id=actor.administration_id, national_reference=reference).first()


def _is_reference_clash(error: ValidationError) -> bool:
    return hasattr(error, "error_dict") and "national_reference" in error.error_dict


_UUID_CONSTRAINT = f"{Report._meta.db_table}_uuid_key"


def _violated_constraint(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return str(getattr(diag, "constraint_name", "") or "")


@transaction.atomic
def report_upsert_from_api(
    *,
    actor: Any,
    fields: Mapping[str, Any],
    uuid: UUID | None = None,
    items: Rows | None = None,
    route: Rows | None = None,
    conveyances: Rows | None = None,
    parties: Rows | None = None,
) -> tuple[Report, bool]:
    """A report pushed by a system (or any API client): created as a draft, or, when the actor's
    administration already has it, updated. Returns ``(report, created)``.

    The report is the one with the same ``uuid`` (the identity the pushing system gave it), else the
    one with the same national reference in the actor's administration: a report pushed twice is
    one report. An existing report is changed as by :func:`report_update_draft` (so only while it is
    a draft or returned; a report under review or approved is a :class:`Conflict`). A part given
    replaces the stored one; a part left ``None`` stays as it is.

    Two pushes of one report at once: the unique constraints on ``uuid`` and on (administration,
    national reference) let exactly one insert win; the other then finds that row, locks it and
    updates it. A ``uuid`` already taken by a report the actor cannot reach is :class:`NotFound`, as for a
    report that does not exist: whether another tenant holds that uuid is not the actor's to learn.
    """
    if not actor.has_perm("reports.add_report") or not actor.administration_id:
        raise PermissionDenied("You may not create reports.")
    parts = {"items": items, "route": route, "conveyances": conveyances, "parties": parties}
    for attempt in (1, 2):
        existing = _upsert_target(actor=actor, uuid=uuid, national_reference=fields.get("national_reference"))
        if existing is not None:
            return report_update_draft(report=existing, actor=actor, fields=fields, **parts), False
        try:
            with transaction.atomic():  # a savepoint: a concurrent twin must not poison the transaction
                created = report_create_draft(
                    actor=actor, fields=fields, uuid=uuid, **{name: rows or () for name, rows in parts.items()}
                )
            return created, True
        except IntegrityError as error:
            if _violated_constraint(error) != _UUID_CONSTRAINT:
                raise
        except ValidationError as error:
            if attempt == 2 or not _is_reference_clash(error):
                raise
        # Another push took the uuid or the reference first: look again, and update that report.
    # Still out of reach after the second look: another administration's report has this uuid.
    raise NotFound("Report not found.")


# --- workflow ----------------------------------------------------------------------------------


def _submit(*, report: Report, actor: Any, transition: str, allowed: Iterable[str]) -> Report:
    locked = _lock(report=report, actor=actor)
    _require_state(locked, allowed, "submitted")
    _require_right(locked, actor, "submit", "submit")
    _check_complete(locked)
    from_status = locked.status
    locked.status = ReportStatus.SUBMITTED
    locked.submitted_by = actor
    locked.submitted_at = timezone.now()
    _save(locked, actor, update_fields=["status", "submitted_by", "submitted_at"])
    candidates = store_duplicate_candidates(locked)
    # Count only the candidates the submitter may see: the trail must not tell of reports out of their reach.
    visible = Report.objects.restrict(actor, "view").filter(pk__in=[c.candidate_id for c in candidates]).count()
    _record(
        report=locked,
        actor=actor,
        transition=transition,
        from_status=from_status,
        detail={"duplicate_candidates": visible},
    )
    notifications.notify_submitted(locked)
    return locked


@transaction.atomic
def report_submit(*, report: Report, actor: Any) -> Report:
    """Send a draft for review: checks the form variant's required fields and finds duplicate candidates."""
    return _submit(report=report, actor=actor, transition=Transition.SUBMIT, allowed=[ReportStatus.DRAFT])


@transaction.atomic
def report_resubmit(*, report: Report, actor: Any) -> Report:
    """Send a returned report back for review after correction."""
    return _submit(report=report, actor=actor, transition=Transition.RESUBMIT, allowed=[ReportStatus.RETURNED])


@transaction.atomic
def report_return(*, report: Report, actor: Any, comment: str) -> Report:
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
def report_approve(*, report: Report, actor: Any, comment: str = "", free_text_checked: bool = False) -> Report:
    """Approve a submitted report. Of two reviewers approving at once, exactly one wins; the other gets a Conflict.

    ``free_text_checked``: the analyst read the report's free text (places, customs office, item
    descriptions, brands, attributes) and found no personal data in it, so partners without personal
    data may receive it (recorded on the approval's review event; the snapshot reads it from there).
    """
    locked = _lock(report=report, actor=actor)
    _require_state(locked, [ReportStatus.SUBMITTED], "approved")
    _require_right(locked, actor, "approve", "approve")
    locked.status = ReportStatus.APPROVED
    locked.approved_by = actor
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
    actor: Any,
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
def report_withdraw(*, report: Report, actor: Any, reason: str) -> Report:
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
def report_mark_duplicate(*, report: Report, of: Report, actor: Any, comment: str = "") -> Report:
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


# --- exceptions to the scope (guardian) --------------------------------------------------------


@transaction.atomic
def report_share_with_administration(
    *,
    report: Report,
    administration: Administration,
    actor: Any,
    include_personal_data: bool = False,
    comment: str = "",
    expires_at: dt.datetime | None = None,
) -> Report:
    """Share a report read-only with another administration (e.g. for a joint operation).

    Its users may view the report; its parties and personal attachments only if
    ``include_personal_data``; until ``expires_at`` if given (then the share grants nothing, and the
    purge task removes it). Sharing again replaces both. Stored as guardian rows on the administration's group.
    """
    locked = _lock(report=report, actor=actor)
    _require_state(locked, REVIEWABLE_STATES, "shared")
    _require_right(locked, actor, "share", "share")
    if administration.pk == locked.administration_id:
        raise ValidationError({"administration": ["The report already belongs to this administration."]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": [gettext("Choose a moment in the future, or leave it empty.")]})
    group, _ = Group.objects.get_or_create(name=administration_group_name(administration.pk))
    assign_perm("reports.view_report", group, locked)
    if include_personal_data:
        assign_perm("reports.view_personal_data_report", group, locked)
    else:
        remove_perm("reports.view_personal_data_report", group, locked)
    # assign_perm keeps a row it finds (an expired one too): the share's expiry is set here, on every row of it.
    ReportGroupObjectPermission.objects.filter(group=group, content_object=locked).update(expires_at=expires_at)
    _record(
        report=locked,
        actor=actor,
        transition=Transition.SHARE,
        from_status=locked.status,
        comment=comment,
        detail={
            "administration": administration.code,
            "personal_data": include_personal_data,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return locked


@transaction.atomic
def report_unshare_with_administration(*, report: Report, administration: Administration, actor: Any) -> Report:
    """End a share made by :func:`report_share_with_administration`."""
    locked = _lock(report=report, actor=actor)
    _require_right(locked, actor, "share", "share")
    group = Group.objects.filter(name=administration_group_name(administration.pk)).first()
    if group is not None:
        remove_perm("reports.view_report", group, locked)
        remove_perm("reports.view_personal_data_report", group, locked)
    audit_record(actor=actor, action="report.unshare", obj=locked, detail={"administration": administration.code})
    return locked


@transaction.atomic
def report_assign_reviewer(*, report: Report, reviewer: Any, actor: Any) -> Report:
    """Assign a reviewer (possibly of another region) to one submitted report: they may view, return and approve it."""
    locked = _lock(report=report, actor=actor)
    _require_state(locked, [ReportStatus.SUBMITTED], "assigned")
    _require_right(locked, actor, "assign", "assign a reviewer to")
    if not (reviewer.is_active and reviewer.has_perm("reports.review_report")):
        raise ValidationError({"reviewer": ["This user cannot review reports."]})
    for permission in REVIEWER_PERMISSIONS:
        assign_perm(permission, reviewer, locked)
    _record(
        report=locked,
        actor=actor,
        transition=Transition.ASSIGN,
        from_status=locked.status,
        detail={"reviewer": reviewer.pk},
    )
    return locked


# --- attachments -------------------------------------------------------------------------------


@transaction.atomic
def report_attachment_add(
    *,
    report: Report,
    actor: Any,
    content: IO[bytes],
    original_name: str,
    contains_personal_data: bool = True,
    shareable: bool = False,
    description: str = "",
) -> Attachment:
    """Attach a file to a draft or returned report. Its type is sniffed from its bytes; its size is limited."""
    locked = _lock(report=report, actor=actor)
    _require_state(locked, EDITABLE_STATES, "given attachments")
    _require_right(locked, actor, "change", "add attachments to")
    limit = settings.RILO_ATTACHMENT_MAX_BYTES
    content.seek(0, 2)
    size = content.tell()
    content.seek(0)
    if size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    if size > limit:
        raise ValidationError({"file": [f"The file is larger than {limit // (1024 * 1024)} MB."]})
    content_type = sniff_content_type(content)
    if content_type not in ALLOWED_TYPES:
        raise ValidationError({"file": ["Only JPEG, PNG, TIFF, PDF, XLSX and DOCX files can be attached."]})
    digest = hashlib.sha256()
    for chunk in iter(lambda: content.read(1024 * 1024), b""):
        digest.update(chunk)
    content.seek(0)
    attachment = Attachment(
        report=locked,
        original_name=(original_name or "attachment")[:255],
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        description=(description or "").strip()[:255],
        contains_personal_data=contains_personal_data,
        shareable=shareable,
        uploaded_by=actor,
    )
    attachment.file.save("upload", File(content), save=False)
    attachment.save()
    audit_record(
        actor=actor,
        action="report.attachment_add",
        obj=locked,
        detail={"attachment": attachment.pk, "content_type": content_type, "size": size},
    )
    return attachment
