"""The reports an upload replaces (the uploader's administration's drafts and returned reports with the same
national references): found, locked and checked as the services check one report they update."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django_countries.fields import Country

from apps.core.actor import Actor
from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.reports.choices import EDITABLE_STATES, ReportStatus
from apps.reports.models import Report


def reports_to_replace(*, actor: Actor, ids: list[int], parts_given: set[int]) -> dict[int, dict[str, Any]]:
    """The reports to update, locked, as column values: the actor's drafts or returned reports, which the actor
    may change (and whose parties they may change when parties are given). The services' order of answers:
    not found, then conflict, then forbidden."""
    if not ids:
        return {}
    fields = [field for field in Report._meta.concrete_fields if field.attname != "search_vector"]
    visible = Report.objects.restrict(actor, "view").filter(pk__in=ids)
    locked = {
        row["id"]: {name: value.code if isinstance(value, Country) else value for name, value in row.items()}
        for row in Report.objects.filter(pk__in=visible.values("pk"), administration_id=actor.administration_id)
        .select_for_update(of=("self",))
        .values(*(field.attname for field in fields))
    }
    missing = [pk for pk in ids if pk not in locked]
    if missing:
        raise NotFound(gettext("Report not found."))
    for row in locked.values():
        if row["status"] not in EDITABLE_STATES:
            raise Conflict(
                f"Report {row['national_reference']} is {ReportStatus(row['status']).label.lower()}; "
                "only a draft or returned report can be replaced by an upload.",
                extra={"status": row["status"]},
            )
    changeable = set(Report.objects.restrict(actor, "change").filter(pk__in=ids).values_list("pk", flat=True))
    personal = set(
        Report.objects.restrict(actor, "view_personal_data").filter(pk__in=parts_given).values_list("pk", flat=True)
    )
    for pk, row in locked.items():
        if pk not in changeable:
            raise PermissionDenied(
                gettext("You may not edit report %(reference)s.") % {"reference": row["national_reference"]}
            )
        if pk in parts_given and pk not in personal:
            raise PermissionDenied(gettext("You may not change the persons and companies of this report."))
    return locked
