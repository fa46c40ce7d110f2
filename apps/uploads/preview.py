"""An upload's preview: its first checked reports as they will be stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Model

from apps.reports import catalogue

from .cells import Record
from .writing import CheckedReport


def _shown(value: Any) -> Any:
    """A cleaned value as the preview shows it: a term by its code, a list joined, a date as ISO text."""
    if value is None or value == "":
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(str(_shown(item)) for item in value)
    if isinstance(value, Model):
        return str(getattr(value, "code", None) or value)
    if isinstance(value, dt.date | dt.time | Decimal):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    if isinstance(value, dict):
        return {str(key): _shown(item) for key, item in value.items()}
    return value if isinstance(value, int | float | bool) else str(value)


# What the preview shows: the fields entered, but those shown only with the right to see personal data.
_PREVIEWED = {part: frozenset(catalogue.names(part, restricted=False)) for part in ("report", "item")}


def preview(reference: str, record: Record | None, report: CheckedReport) -> dict[str, Any]:
    """One report (of national reference ``reference``, its row ``record``) as it will be stored: its fields
    and its items (persons and companies are not shown, nor any field shown only with the right to see personal
    data)."""
    return {
        "national_reference": reference,
        "sheet": record.sheet if record is not None else "",
        "row": record.row if record is not None else None,
        "action": "update" if report.existing_id is not None else "create",
        "fields": {
            name: _shown(value)
            for name, value in report.report_values.items()
            if name in _PREVIEWED["report"] and _shown(value) != ""
        },
        "items": [
            {
                name: _shown(value)
                for name, value in item.items()
                if name in _PREVIEWED["item"] and _shown(value) not in ("", {})
            }
            for item in report.parts.get("items") or []
        ],
    }
