"""Drafting: a report created or changed before review, by the web form, the API or a pushing system."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import NotFound, PermissionDenied

from ..choices import EDITABLE_STATES, ReportStatus, Transition
from ..models import Report
from .steps import (
    Rows,
    apply,
    clean_all,
    clean_change,
    lock,
    operations_attachable,
    record,
    require_right,
    require_state,
    update_detail,
)

# --- drafting ----------------------------------------------------------------------------------


@transaction.atomic
def report_create_draft(
    *,
    actor: Actor,
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
        raise PermissionDenied(_("You may not create reports."))
    fields = dict(fields)
    for name in ("national_reference", "seizure_date", "country_of_seizure"):
        fields.setdefault(name, None)
    report_values, parts = clean_all(
        fields=fields,
        items=items,
        route=route,
        conveyances=conveyances,
        parties=parties,
        operations=operations_attachable(actor=actor),
    )
    report = Report(administration_id=actor.administration_id, created_by_id=actor.pk, status=ReportStatus.DRAFT)
    if uuid is not None:
        report.uuid = uuid
    # The report is not saved yet, so its administration's rule stands in for restrict().
    if parties and not actor.has_perm("reports.view_personal_data_report"):
        raise PermissionDenied(_("You may not record persons and companies."))
    apply(report=report, actor=actor, report_values=report_values, parts=parts)
    record(report=report, actor=actor, transition=Transition.CREATE, from_status="")
    return report


@transaction.atomic
def report_update_draft(
    *,
    report: Report,
    actor: Actor,
    fields: Mapping[str, Any] | None = None,
    items: Rows | None = None,
    route: Rows | None = None,
    conveyances: Rows | None = None,
    parties: Rows | None = None,
) -> Report:
    """Change a draft or returned report. Each part given (items, route, ...) replaces the old one as a whole;
    a part left ``None`` stays as it is."""
    locked = lock(report=report, actor=actor)
    require_state(locked, EDITABLE_STATES, "edit")
    require_right(locked, actor, "change", "edit")
    report_values, parts = clean_change(
        locked, actor, fields=fields, items=items, route=route, conveyances=conveyances, parties=parties
    )
    apply(report=locked, actor=actor, report_values=report_values, parts=parts)
    audit_record(
        actor=actor,
        action="report.update",
        obj=locked,
        detail=update_detail(report_values, parts),
    )
    return locked


def _upsert_target(*, actor: Actor, uuid: UUID | None, national_reference: Any) -> Report | None:
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
    actor: Actor,
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
        raise PermissionDenied(_("You may not create reports."))
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
    raise NotFound(_("Report not found."))
