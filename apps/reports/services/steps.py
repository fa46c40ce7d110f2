"""The shared steps of the one writer of a report's state.

Every service of this package (drafting, the review workflow, receiving from partners, sharing,
attachments) is built from these steps and no other code writes a report, so each write has the
same shape: ``lock`` the row (``NotFound`` if the actor may not see it), ``require_state``
(``Conflict``), ``require_right`` (``PermissionDenied``), then ``clean_all`` and ``apply`` the
input, ``save`` and ``record`` the trail and audit event. They are public to the services beside
this module, not to the rest of the project, which calls the services.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.core.rows import Reader, insert

from ..choices import ReportStatus
from ..models import Conveyance, Operation, Party, Report, ReportItem, ReviewEvent, RouteCountry
from ..search import refresh_search_vectors
from ..selectors import joint_operations_attachable
from ..validation import (
    Errors,
    clean_conveyance,
    clean_item,
    clean_parts,
    clean_party,
    clean_report_fields,
    clean_route_step,
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


def require_state(report: Report, allowed: Iterable[str], doing: str) -> None:
    allowed = list(allowed)
    if report.status not in allowed:
        names = " or ".join(ReportStatus(state).label.lower() for state in allowed)
        raise Conflict(
            f"Report {report.national_reference} is {report.get_status_display().lower()}; "
            f"only a {names} report can be {doing}.",
            extra={"status": report.status},
        )


def require_right(report: Report, actor: Actor, action: str, doing: str) -> None:
    if not can(actor, action, report):
        raise PermissionDenied(
            _("You may not %(doing)s report %(national_reference)s.")
            % {"doing": doing, "national_reference": report.national_reference}
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


def require_personal_right(report: Report, actor: Actor, parts: Mapping[str, Rows | None]) -> None:
    if parts.get("parties") is not None and not can(actor, "view_personal_data", report):
        raise PermissionDenied(_("You may not change the persons and companies of this report."))


def require_attachable_operation(report: Report, actor: Actor, report_values: Mapping[str, Any]) -> None:
    """The joint operation given, if any, is one this report may be attached to (a field error if not)."""
    operation = report_values.get("operation")
    if not isinstance(operation, Operation) or operation.pk == report.operation_id:
        return  # none given, or the one it has already: nothing is attached anew
    attachable = joint_operations_attachable(actor=actor, administration=report.administration)
    if not attachable.filter(pk=operation.pk).exists():
        # The same answer as for a code that does not exist: another region's operations are not disclosed.
        message = gettext("Unknown operation: %(code)r.") % {"code": operation.code}
        raise ValidationError({"operation": [message]})


def apply(
    *, report: Report, actor: Actor, report_values: dict[str, Any], parts: Mapping[str, list[dict[str, Any]] | None]
) -> None:
    """Write cleaned values: report fields, then each given part replaced as a whole.

    Rights are the caller's to check (see :func:`require_personal_right`); the values are clean.
    """
    values = dict(report_values)
    detection_methods = values.pop("detection_methods", None)
    for name, value in values.items():
        setattr(report, name, value)
    _check_reference_unique(report)
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin reference must not poison the transaction
            save(report, actor)
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
