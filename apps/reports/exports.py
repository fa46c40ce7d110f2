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

from apps.audit.services import audit_record

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


Column = tuple[str, Callable[[Report], Any]]

COLUMNS: tuple[Column, ...] = (
    ("UUID", lambda r: r.uuid),
    ("National reference", lambda r: r.national_reference),
    ("Administration", lambda r: r.administration.name),
    ("Kind", lambda r: r.get_kind_display()),
    ("State", lambda r: r.get_status_display()),
    ("Version", lambda r: r.version),
    ("Form", lambda r: r.get_form_variant_display()),
    ("Seizure date", lambda r: r.seizure_date.isoformat() if r.seizure_date else ""),
    ("Country of seizure", lambda r: r.country_of_seizure.code),
    ("Customs office", lambda r: r.customs_office),
    ("Place", lambda r: r.place),
    ("Type of location", lambda r: r.location_type or ""),
    ("Direction", lambda r: r.direction or ""),
    ("Mode of transport", lambda r: r.transport_mode or ""),
    ("Detection methods", lambda r: _join(m.label for m in r.detection_methods.all())),
    ("Items", _items),
    ("HS codes", lambda r: _join(i.hs_code.code for i in r.items.all() if i.hs_code)),
    ("Brands", lambda r: _join(i.brand for i in r.items.all())),
    ("Duplicate", lambda r: "yes" if r.duplicate_of_id else ""),
    ("Submitted at", lambda r: r.submitted_at.isoformat() if r.submitted_at else ""),
)
PERSONAL_COLUMNS: tuple[Column, ...] = (
    ("Modus operandi", lambda r: r.modus_operandi),
    ("Concealment details", lambda r: " | ".join(i.concealment_detail for i in r.items.all() if i.concealment_detail)),
    ("Conveyance identifiers", lambda r: _join(c.identifier for c in r.conveyances.all())),
)


def _personal_reports(user: Any, reports: QuerySet[Report]) -> dict[str, Any]:
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


def report_csv_lines(*, user: Any, reports: QuerySet[Report], filters: list[str]) -> Iterator[str]:
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
