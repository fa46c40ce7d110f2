"""CSV export of a report list: exactly the rows the user sees with the current filters.

Personal columns (modus operandi, concealment details, conveyance identifiers) appear only for users
holding the personal-data capability, and are filled only on the rows where they may see personal data.
Every cell a spreadsheet could take for a formula is neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from apps.audit.services import audit_record
from apps.core.actor import Actor

from . import catalogue
from .models import Report

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """The cell as text, with a leading apostrophe if a spreadsheet could read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _items(report: Report) -> str:
    parts = []
    for item in report.items.all():
        what = item.commodity_type.label if item.commodity_type else item.commodity_category.label
        parts.append(f"{what}: {item.quantity.normalize():f} {item.unit.code}")
    return "; ".join(parts)


def _join(values: Any) -> str:
    return "; ".join(sorted({str(v) for v in values if v}))


Column = tuple[str | Promise, Callable[[Report], Any]]


def _cell(spec: catalogue.Field) -> Callable[[Report], Any]:
    """How a report field of the catalogue is written in a cell, by its kind."""
    name = spec.name
    if spec.kind == "choice":
        return lambda r: getattr(r, f"get_{name}_display")()
    if spec.kind in ("date", "datetime"):
        return lambda r: value.isoformat() if (value := getattr(r, name)) else ""
    if spec.kind == "country":
        return lambda r: getattr(r, name).code
    if spec.kind == "terms":
        return lambda r: _join(term.label for term in getattr(r, name).all())
    if spec.kind in ("term", "operation"):
        return lambda r: getattr(r, name) or ""
    if spec.kind == "administration":
        return lambda r: r.administration.name
    return lambda r: getattr(r, name)


def _columns(*names: str) -> tuple[Column, ...]:
    return tuple((catalogue.field("report", name).label, _cell(catalogue.field("report", name))) for name in names)


# The report's own columns are catalogue fields (headers are their labels); then what it holds of its items.
COLUMNS: tuple[Column, ...] = (
    *_columns(
        "uuid",
        "national_reference",
        "administration",
        "kind",
        "status",
        "version",
        "form_variant",
        "seizure_date",
        "country_of_seizure",
        "customs_office",
        "place",
        "location_type",
        "direction",
        "transport_mode",
        "detection_methods",
    ),
    (gettext_lazy("Items"), _items),
    (gettext_lazy("HS codes"), lambda r: _join(i.hs_code.code for i in r.items.all() if i.hs_code)),
    (gettext_lazy("Brands"), lambda r: _join(i.brand for i in r.items.all())),
    (gettext_lazy("Duplicate"), lambda r: "yes" if r.duplicate_of_id else ""),
    *_columns("submitted_at"),
)
PERSONAL_COLUMNS: tuple[Column, ...] = (
    *_columns("modus_operandi"),
    (
        gettext_lazy("Concealment details"),
        lambda r: " | ".join(i.concealment_detail for i in r.items.all() if i.concealment_detail),
    ),
    (gettext_lazy("Conveyance identifiers"), lambda r: _join(c.identifier for c in r.conveyances.all())),
)


def _personal_reports(user: Actor, reports: QuerySet[Report]) -> dict[str, Any]:
    """Which exported reports' personal data the user may see (the rows whose personal cells are filled), for the
    audit event: who read which persons' data stays on record even if the download is cut short.

    Their uuids up to ``RILO_AUDIT_EXPORT_LIST_MAX`` and their exact count; beyond that bound the list is left out
    and ``personal_reports_truncated`` set: the event's filters and time say which reports they were.
    """
    bound = settings.RILO_AUDIT_EXPORT_LIST_MAX
    allowed = Report.objects.restrict(user, "view_personal_data").values("pk")
    exported = reports.order_by().values("pk")
    personal = Report.objects.filter(pk__in=exported).filter(pk__in=allowed)
    uuids = [str(uuid) for uuid in personal.order_by("pk").values_list("uuid", flat=True)[: bound + 1]]
    if len(uuids) <= bound:
        return {"personal_reports": uuids, "personal_reports_count": len(uuids)}
    return {"personal_reports_truncated": True, "personal_reports_count": personal.count()}


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def report_csv_lines(*, user: Actor, reports: QuerySet[Report], filters: list[str]) -> Iterator[str]:
    """The CSV lines of ``reports`` (already restricted and filtered); the export is audited when it starts, with
    the uuids of the reports whose personal columns it fills (those the user may see personal data of)."""
    personal = user.has_perm("reports.view_personal_data_report")
    columns = COLUMNS + (PERSONAL_COLUMNS if personal else ())
    detail: dict[str, Any] = {"personal_columns": personal, "filters": sorted(filters)}
    if personal:
        detail.update(_personal_reports(user, reports))
        reports = reports.defer(None).defer("search_vector").prefetch_related("conveyances")
    writer = csv.writer(_Echo())
    audit_record(actor=user, action="report.export", detail=detail)
    yield writer.writerow([header for header, _ in columns])
    for report in reports.iterator(chunk_size=500):
        cells = [neutralise(getter(report)) for _, getter in COLUMNS]
        if personal:
            allowed = getattr(report, "can_view_personal_data", False)
            cells += [neutralise(getter(report)) if allowed else "" for _, getter in PERSONAL_COLUMNS]
        yield writer.writerow(cells)
