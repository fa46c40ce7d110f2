"""The shared steps of the one writer of a report's state.

Every service of this package (drafting, the review workflow, receiving from partners, sharing,
attachments) is built from these steps and no other code writes a report, so each write has the
same shape: ``lock`` the row (``NotFound`` if the actor may not see it), ``require_state``
(``Conflict``), ``require_right`` (``PermissionDenied``), then ``clean_all`` and ``apply`` the
input, ``save`` and ``record`` the trail and audit event. They are public to the services beside
this module, not to the rest of the project, which calls the services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any, Literal, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.core.rows import Reader, insert
from apps.tenancy.models import Administration

from ..choices import COUNTED_STATES, Transition
from ..counting import counted_report_changed
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
    unknown_operation,
)

Rows = Sequence[Mapping[str, Any]]


def can(actor: Actor, action: str, report: Report) -> bool:
    return Report.objects.allows(actor, action, report.pk)


# The report's row, locked, with its administration (read by the audit event and the e-mails).
_LOCKED = Reader(Report, "WHERE reports_report.id = %s FOR UPDATE OF reports_report", related=["administration"])


def lock(*, report: Report, actor: Actor) -> Report:
    """The report's row, locked for this transaction, if the actor may see it."""
    if not can(actor, "view", report):
        raise NotFound(_("Report not found."))
    rows = _LOCKED.all([report.pk])
    if not rows:
        raise NotFound(_("Report not found."))
    return cast(Report, rows[0])


# What a service does to a report, each with the two whole sentences that refuse it: the report is in a state
# that does not allow it (%(state)s: the state's label), or the actor may not do it. Whole sentences, never a verb
# glued into one, so that each language writes its own.
Action = Literal[
    "edit", "submit", "return", "approve", "correct", "withdraw", "mark_duplicate", "share", "assign", "attach"
]

_WRONG_STATE: dict[str, Promise] = {
    "edit": _("Report %(reference)s is “%(state)s”: only a draft or a report returned for correction can be edited."),
    "submit": _(
        "Report %(reference)s is “%(state)s”: only a draft or a report returned for correction can be submitted."
    ),
    "return": _("Report %(reference)s is “%(state)s”: only a submitted report can be returned for correction."),
    "approve": _("Report %(reference)s is “%(state)s”: only a submitted report can be approved."),
    "correct": _("Report %(reference)s is “%(state)s”: only an approved report can be corrected."),
    "withdraw": _("Report %(reference)s is “%(state)s”: only an approved report can be withdrawn."),
    "mark_duplicate": _(
        "Report %(reference)s is “%(state)s”: only a submitted or approved report can be marked as a duplicate."
    ),
    "share": _("Report %(reference)s is “%(state)s”: only a report sent for review can be shared."),
    "assign": _("Report %(reference)s is “%(state)s”: only a submitted report can be given a reviewer."),
    "attach": _(
        "Report %(reference)s is “%(state)s”: attachments can be added only to a draft or a report returned for "
        "correction."
    ),
}

_NOT_ALLOWED: dict[str, Promise] = {
    "edit": _("You may not edit report %(reference)s."),
    "submit": _("You may not submit report %(reference)s."),
    "return": _("You may not return report %(reference)s for correction."),
    "approve": _("You may not approve report %(reference)s."),
    "correct": _("You may not correct report %(reference)s."),
    "withdraw": _("You may not withdraw report %(reference)s."),
    "mark_duplicate": _("You may not mark report %(reference)s as a duplicate."),
    "share": _("You may not share report %(reference)s."),
    "assign": _("You may not assign a reviewer to report %(reference)s."),
    "attach": _("You may not add attachments to report %(reference)s."),
}


def require_state(report: Report, allowed: Iterable[str], action: Action) -> None:
    """``Conflict`` unless the report is in one of the ``allowed`` states for ``action``."""
    if report.status not in set(allowed):
        raise Conflict(
            _WRONG_STATE[action] % {"reference": report.national_reference, "state": report.get_status_display()},
            extra={"status": report.status},
        )


def require_right(report: Report, actor: Actor, right: str, action: Action) -> None:
    """``PermissionDenied`` unless the actor has ``right`` (a report action of the rules) on the report."""
    if not can(actor, right, report):
        raise PermissionDenied(_NOT_ALLOWED[action] % {"reference": report.national_reference})


# The transitions that change what the statistics count (a report's state, values or duplicate mark).
_COUNTED_CHANGES = frozenset(
    {
        Transition.SUBMIT,
        Transition.RESUBMIT,
        Transition.RETURN,
        Transition.APPROVE,
        Transition.CORRECT,
        Transition.WITHDRAW,
        Transition.MARK_DUPLICATE,
    }
)


def record(
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
    """The workflow trail and the audit log of one transition (no comment in the audit detail: free text), and, if
    the transition changes what the statistics count, the report's summary bucket marked for recompute.

    The audit action is ``report.<transition>`` unless ``audit_action`` names another (a report received).
    """
    if transition in _COUNTED_CHANGES and (from_status in COUNTED_STATES or report.status in COUNTED_STATES):
        counted_report_changed(report=report)
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
        detail=trail_detail(from_status=from_status, to_status=report.status, version=report.version, detail=detail),
    )
    return event


def trail_detail(
    *, from_status: str, to_status: str, version: int, detail: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The audit detail of a transition: the states it went from and to, the version, and what else it says."""
    return {"from": from_status, "to": to_status, "version": version, **(detail or {})}


def save(report: Report, actor: Actor, *, reason: str = "", update_fields: Sequence[str] | None = None) -> None:
    report._history_user = actor  # type: ignore[attr-defined]
    if reason:
        report._change_reason = reason  # type: ignore[attr-defined]
    if update_fields is not None:
        report.save(update_fields=[*update_fields, "updated_at"])
    else:
        report.save()


def clean_all(
    *,
    fields: Mapping[str, Any],
    items: Rows | None,
    route: Rows | None,
    conveyances: Rows | None,
    parties: Rows | None,
    today: dt.date | None = None,
    operations: models.QuerySet[Operation] | None = None,
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]] | None]]:
    """A report's fields and parts cleaned by the one validator (``ReportValidationError`` with every error);
    ``today`` bounds the seizure and birth dates (by default the local date: an upload reads it once).

    ``operations``: the joint operations the report may be attached to (:func:`operations_attachable`). A code
    given that names none of them is told as a code that names no operation at all, and the other fields are
    cleaned without it: nothing tells another region's operations from made-up codes."""
    errors = Errors()
    today = today or timezone.localdate()
    fields, operation = operation_among(operations, fields, errors)
    report_values = clean_report_fields(fields, errors=errors, today=today)
    if operation is not None:
        report_values["operation"] = operation
    parts = {
        "items": clean_parts(items, clean_item, errors=errors),
        "route": clean_parts(route, clean_route_step, errors=errors),
        "conveyances": clean_parts(conveyances, clean_conveyance, errors=errors),
        "parties": clean_parts(parties, partial(clean_party, today=today), errors=errors),
    }
    errors.raise_if_any()
    return report_values, parts


def clean_change(
    report: Report,
    actor: Actor,
    *,
    fields: Mapping[str, Any] | None,
    items: Rows | None,
    route: Rows | None,
    conveyances: Rows | None,
    parties: Rows | None,
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]] | None]]:
    """:func:`clean_all` for a change of the (locked) ``report`` by ``actor``: its joint operation among those it
    may be given, and its persons and companies changed only by whom may see them."""
    report_values, parts = clean_all(
        fields=fields or {},
        items=items,
        route=route,
        conveyances=conveyances,
        parties=parties,
        operations=operations_attachable(actor=actor, administration=report.administration, report=report),
    )
    require_personal_right(report, actor, parts)
    return report_values, parts


def operation_among(
    operations: models.QuerySet[Operation] | None, fields: Mapping[str, Any], errors: Errors
) -> tuple[Mapping[str, Any], Operation | None]:
    """The fields without the joint operation given, and that operation if it is one of ``operations`` (else
    the error of an unknown code); the fields as they are when ``operations`` is None or none is given."""
    given = fields.get("operation")
    if operations is None or given is None or (isinstance(given, str) and not given.strip()):
        return fields, None
    if isinstance(given, Operation):  # chosen from a form's list: that one, not another spelt alike
        operation = operations.filter(pk=given.pk).first()
    else:
        operation = operations.filter(code__iexact=str(given).strip()).first()
    if operation is None:
        errors.add("operation", unknown_operation(given.code if isinstance(given, Operation) else given))
    return {name: value for name, value in fields.items() if name != "operation"}, operation


def operations_attachable(
    *, actor: Actor, administration: Administration | None = None, report: Report | None = None
) -> models.QuerySet[Operation]:
    """The joint operations a report of ``administration`` (the actor's when not given) written by ``actor`` may
    be given: those it may be attached to, and the one ``report`` has already (kept, whatever its region)."""
    attachable = models.Q(pk__in=joint_operations_attachable(actor=actor, administration=administration).values("pk"))
    if report is not None and report.operation_id is not None:
        attachable |= models.Q(pk=report.operation_id)
    return Operation.objects.filter(attachable)


def require_complete(
    *, report_values: Mapping[str, Any], detection_methods: Sequence[Any], items: Sequence[Any], route: Sequence[Any]
) -> None:
    """The report meets its form variant's requirements for submission (a ``ValidationError`` naming each gap).

    ``report_values`` holds the report's fields by name, terms as their ids or codes (only blankness counts).
    """
    errors = Errors()
    check_complete(
        report_values=report_values, detection_methods=detection_methods, items=items, route=route, errors=errors
    )
    errors.raise_if_any()


# The one answer to a national reference the administration already has (checked first, and by the constraint).
REFERENCE_TAKEN = _("Your administration already has a report with this reference.")
REFERENCE_CONSTRAINT = "report_national_reference_unique"


def reference_taken() -> ValidationError:
    return ValidationError({"national_reference": [REFERENCE_TAKEN]})


def _check_reference_unique(report: Report) -> None:
    taken = Report.objects.filter(
        administration_id=report.administration_id, national_reference=report.national_reference
    ).exclude(pk=report.pk)
    if taken.exists():
        raise reference_taken()


# The model of each part of a report, by the part's name in ``clean_all``'s parts.
PART_MODELS: dict[str, type[models.Model]] = {
    "items": ReportItem,
    "route": RouteCountry,
    "conveyances": Conveyance,
    "parties": Party,
}


def require_personal_right(report: Report, actor: Actor, parts: Mapping[str, Rows | None]) -> None:
    if parts.get("parties") is not None and not can(actor, "view_personal_data", report):
        raise PermissionDenied(_("You may not change the persons and companies of this report."))


def require_attachable_operation(report: Report, actor: Actor, report_values: Mapping[str, Any]) -> None:
    """The joint operation given, if any, is one this report may be attached to (a field error if not)."""
    operation = report_values.get("operation")
    if not isinstance(operation, Operation) or operation.pk == report.operation_id:
        return  # none given, or the one it has already: nothing is attached anew
    require_attachable_operations(actor=actor, administration=report.administration, operations=[operation])


def require_attachable_operations(
    *, actor: Actor, administration: Administration, operations: Iterable[Operation]
) -> None:
    """Reports of ``administration`` may be attached to each of these joint operations (a field error if not)."""
    given = {operation.pk: operation for operation in operations}
    if not given:
        return
    attachable = joint_operations_attachable(actor=actor, administration=administration)
    found = set(attachable.filter(pk__in=given).values_list("pk", flat=True))
    for pk, operation in sorted(given.items()):
        if pk not in found:
            # The same answer as for a code that does not exist: another region's operations are not disclosed.
            message = gettext("Unknown operation: %(code)r.") % {"code": operation.code}
            raise ValidationError({"operation": [message]})


def update_detail(report_values: Mapping[str, Any], parts: Mapping[str, Rows | None]) -> dict[str, Any]:
    """The audit detail of a change of a draft: the names of the fields and of the parts it gave."""
    return {"fields": sorted(report_values), "parts": sorted(name for name, rows in parts.items() if rows is not None)}


def split_detection_methods(report_values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Any] | None]:
    """The report's own field values, and apart the detection methods (a many-to-many: ``None`` when not given)."""
    values = dict(report_values)
    return values, values.pop("detection_methods", None)


def apply(
    *, report: Report, actor: Actor, report_values: dict[str, Any], parts: Mapping[str, list[dict[str, Any]] | None]
) -> None:
    """Write cleaned values: report fields, then each given part replaced as a whole.

    Rights are the caller's to check (see :func:`require_personal_right`); the values are clean.
    """
    values, detection_methods = split_detection_methods(report_values)
    counted_on = report.seizure_date if report.status in COUNTED_STATES else None
    for name, value in values.items():
        setattr(report, name, value)
    if counted_on is not None and report.seizure_date != counted_on:
        counted_report_changed(report=report, seizure_dates=[counted_on])  # the month it leaves
    _check_reference_unique(report)
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin reference must not poison the transaction
            save(report, actor)
    except IntegrityError as error:
        if REFERENCE_CONSTRAINT not in str(error):
            raise
        raise reference_taken() from error
    if detection_methods is not None:
        report.detection_methods.set(detection_methods)
    for part, rows in parts.items():
        if rows is None:
            continue
        model = PART_MODELS[part]
        for old in model.objects.filter(report=report):  # type: ignore[attr-defined]
            old._history_user = actor
            old.delete()
        bulk_create_with_history([model(report=report, **row) for row in rows], model, default_user=actor)
    refresh_search_vectors([report.pk])
