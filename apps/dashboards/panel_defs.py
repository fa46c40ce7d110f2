"""The panels of the regional dashboard: what each shows, counted from a :class:`FigureSource`.

Counts of reports, counts of items, quantities (one column per unit family) and values (in the chosen currency)
are always separate columns, each with its unit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from apps.reference.models import (
    BASE_UNITS,
    CommodityCategory,
    CommodityType,
    ConcealmentMethod,
    DetectionMethod,
    Direction,
    LocationType,
    SelectionBasis,
    TransportMode,
)

from .filtersets import StatisticsFilters
from .panels import UNIT_NAMES, Column, PanelContext, PanelResult, col, month_label, panel
from .selectors import FigureSource
from .summaries import ITEMS, REPORTS

# The unit families quantities are summed in, with the unit their column shows.
UNIT_FAMILIES: tuple[tuple[str, str], ...] = tuple((unit.family, unit.code) for unit in BASE_UNITS)


def unit_label(unit: str) -> str:
    """The unit of a quantity (``"kg"``, ``"sticks"``…) in the active language, as a cell shows it."""
    return str(UNIT_NAMES.get(unit, unit))


def labels(model: type[Model]) -> dict[str, str]:
    """Code → label (in the user's language) of a vocabulary."""
    return {term.code: term.localized_label for term in model._default_manager.all()}  # type: ignore[attr-defined]


def country_name(code: str) -> str:
    return str(countries.name(code)) if code else _("Unknown")


def quantity_columns() -> list[Column]:
    return [
        col(f"quantity_{family}", _("Quantity (%(unit)s)") % {"unit": UNIT_NAMES[unit]}, unit)
        for family, unit in UNIT_FAMILIES
    ]


def quantities_by(rows: Iterable[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    """Item rows (grouped by ``key`` and unit family) as one dict per ``key``: items and a quantity per family."""
    out: dict[Any, dict[str, Any]] = defaultdict(
        lambda: {"items": 0} | {f"quantity_{f}": Decimal(0) for f, _u in UNIT_FAMILIES}
    )
    for row in rows:
        target = out[row[key]]
        target["items"] += row["items"]
        if row["unit_family"] in dict(UNIT_FAMILIES):
            target[f"quantity_{row['unit_family']}"] += row["quantity"]
    return out


def _number(value: Any) -> Any:
    """Decimals as JSON numbers that keep their precision (strings would lose the unit's meaning in charts)."""
    return float(value) if isinstance(value, Decimal) else value


def _clean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: _number(value) for key, value in row.items()} for row in rows]


def _change(now: int | float, before: int | float | None) -> float | None:
    if not before:
        return None
    return round(float(now - before) * 100.0 / float(before), 1)


# --- key figures ------------------------------------------------------------------------------------


@panel(
    "key_figures",
    gettext_lazy("Key figures"),
    gettext_lazy("Reports, reporting administrations, quantities and value, against the comparison period."),
    "figures",
)
def key_figures(ctx: PanelContext) -> PanelResult:
    def figures(source: Any) -> dict[str, Any]:
        by_admin = source.rows(REPORTS, "administration", ["value"])
        items = source.rows(ITEMS, "total", ["unit_family", "currency"])
        values: dict[str, Any] = {
            "reports": sum(r["reports"] for r in by_admin),
            "administrations": sum(1 for r in by_admin if r["reports"]),
            "items": sum(r["items"] for r in items),
            "value": sum((r["amount"] for r in items if r["currency"] == ctx.filters.currency), Decimal(0)),
        }
        for family, _unit in UNIT_FAMILIES:
            values[f"quantity_{family}"] = sum((r["quantity"] for r in items if r["unit_family"] == family), Decimal(0))
        return values

    now = figures(ctx.source)
    comparison = ctx.filters.comparison()
    before = figures(ctx.source_for(comparison)) if comparison else None
    names = [
        ("reports", _("Reports"), "reports"),
        ("administrations", _("Reporting administrations"), "administrations"),
        ("items", _("Items seized"), "items"),
        *((f"quantity_{family}", _("Quantity"), unit) for family, unit in UNIT_FAMILIES),
        ("value", _("Estimated value"), ctx.filters.currency),
    ]
    rows = [
        {
            "figure": key,
            "label": label,
            # The table's "unit" column shows the unit's name; its stable code is "unit_code".
            "unit": str(UNIT_NAMES.get(unit, unit)),
            "unit_code": unit,
            "value": now[key],
            "previous": before[key] if before else None,
            "change_pct": _change(now[key], before[key]) if before else None,
        }
        for key, label, unit in names
    ]
    if comparison:
        ctx.notes.append(
            _("Compared with %(start)s to %(end)s.") % {"start": comparison.date_from, "end": comparison.date_to}
        )
    columns = [
        col("label", _("Figure")),
        col("value", _("Value")),
        col("unit", _("Unit")),
        col("previous", _("Comparison period")),
        col("change_pct", _("Change"), "%"),
    ]
    return PanelResult(columns, _clean(rows))


# --- trend ------------------------------------------------------------------------------------------


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out


def _year_before(month: dt.date) -> dt.date:
    return month.replace(year=month.year - 1)


@panel(
    "trend",
    gettext_lazy("Trend by month"),
    gettext_lazy("Reports per month and commodity category, beside the same months of the previous year."),
    "line",
)
def trend(ctx: PanelContext) -> PanelResult:
    f = ctx.filters
    widened: StatisticsFilters = f.with_period(_year_before(f.date_from) if f.date_from else None, f.date_to)
    rows = ctx.source_for(widened).rows(REPORTS, "total", ["month", "category"])
    counts = {(r["month"], r["category"]): r["reports"] for r in rows}
    months = sorted({r["month"] for r in rows})
    if f.date_from:
        months = [m for m in months if m >= f.date_from.replace(day=1)]
    if months:
        months = _months(months[0], months[-1])
    names = labels(CommodityCategory)
    categories = sorted({category for _m, category in counts})
    out = []
    for month in months:
        for category in categories:
            current, previous = counts.get((month, category), 0), counts.get((_year_before(month), category), 0)
            if current or previous:
                out.append(
                    {
                        "month": month_label(month),
                        "category": category,
                        "category_label": names.get(category, category),
                        "reports": current,
                        "reports_previous_year": previous,
                    }
                )
    columns = [
        col("month", _("Month")),
        col("category_label", _("Commodity category")),
        col("reports", _("Reports"), "reports"),
        col("reports_previous_year", _("Same month, previous year"), "reports"),
    ]
    return PanelResult(columns, out)


# --- breakdowns -------------------------------------------------------------------------------------


def report_breakdown(ctx: PanelContext, dimension: str, names: dict[str, str], drill_param: str = "") -> PanelResult:
    """Reports per value of a report-level dimension, largest first, each row with its drill-down link."""
    rows = sorted(ctx.source.rows(REPORTS, dimension, ["value"]), key=lambda r: (-r["reports"], r["value"]))
    out = []
    for row in rows:
        item = {"value": row["value"], "label": names.get(row["value"], row["value"]) or _("Unknown"),
                "reports": row["reports"]}  # fmt: skip
        if drill_param and row["value"]:
            item["drill"] = ctx.drill(**{drill_param: row["value"]})
        out.append(item)
    return PanelResult([col("label", _("Value")), col("reports", _("Reports"), "reports")], out)


def item_breakdown(
    ctx: PanelContext, dimension: str, names: dict[str, str], source: FigureSource | bool | None = True
) -> PanelResult:
    """Items and quantities (per unit family) per value of an item-level dimension, most items first (from
    ``source``, by default the panel's; None: nothing to count)."""
    counted = ctx.source if source is True else source
    rows = counted.rows(ITEMS, dimension, ["value", "unit_family"]) if isinstance(counted, FigureSource) else []
    grouped = quantities_by(rows, "value")
    out = [
        {"value": value, "label": names.get(value, value) or _("Unknown"), **figures}
        for value, figures in sorted(grouped.items(), key=lambda kv: (-kv[1]["items"], kv[0]))
    ]
    columns = [col("label", _("Value")), col("items", _("Items"), "items"), *quantity_columns()]
    return PanelResult(columns, _clean(out))


@panel(
    "map",
    gettext_lazy("Seizures by country"),
    gettext_lazy("Reports per country of seizure."),
    "map",
)
def seizure_map(ctx: PanelContext) -> PanelResult:
    names = {code: str(name) for code, name in countries}
    return report_breakdown(ctx, "country_of_seizure", names, "country_of_seizure")


@panel(
    "transport_mode",
    gettext_lazy("Mode of transport"),
    gettext_lazy("Reports per mode of transport at the border."),
    "bar",
)
def transport_mode(ctx: PanelContext) -> PanelResult:
    return report_breakdown(ctx, "transport_mode", labels(TransportMode), "transport_mode")


@panel(
    "detection_method",
    gettext_lazy("Detection method"),
    gettext_lazy("Reports per detection method (a report found by two methods counts for each)."),
    "bar",
)
def detection_method(ctx: PanelContext) -> PanelResult:
    return report_breakdown(ctx, "detection_method", labels(DetectionMethod))


@panel(
    "selection_basis",
    gettext_lazy("Selection basis"),
    gettext_lazy("Reports per basis on which the consignment or traveller was selected for control."),
    "pie",
)
def selection_basis(ctx: PanelContext) -> PanelResult:
    return report_breakdown(ctx, "selection_basis", labels(SelectionBasis))


@panel(
    "direction",
    gettext_lazy("Direction"),
    gettext_lazy("Reports per direction of the goods (import, export, transit...)."),
    "pie",
)
def direction(ctx: PanelContext) -> PanelResult:
    return report_breakdown(ctx, "direction", labels(Direction))


@panel(
    "location_type",
    gettext_lazy("Location type"),
    gettext_lazy("Reports per type of place of seizure."),
    "bar",
)
def location_type(ctx: PanelContext) -> PanelResult:
    return report_breakdown(ctx, "location_type", labels(LocationType))


@panel(
    "concealment",
    gettext_lazy("Concealment method"),
    gettext_lazy("Items per concealment method, with their quantities."),
    "bar",
)
def concealment(ctx: PanelContext) -> PanelResult:
    return item_breakdown(ctx, "concealment", labels(ConcealmentMethod))


@panel(
    "categories",
    gettext_lazy("Commodity categories and types"),
    gettext_lazy("Items per commodity category and type, with their quantities per unit family."),
    "stacked",
)
def categories(ctx: PanelContext) -> PanelResult:
    rows = ctx.source.rows(ITEMS, "commodity_type", ["category", "value", "unit_family"])
    for row in rows:
        row["pair"] = (row["category"], row["value"])
    grouped = quantities_by(rows, "pair")
    category_names, type_names = labels(CommodityCategory), labels(CommodityType)
    out = []
    for (category, kind), figures in sorted(grouped.items(), key=lambda kv: (kv[0][0], -kv[1]["items"], kv[0][1])):
        out.append(
            {
                "category": category,
                "category_label": category_names.get(category, category),
                "type": kind,
                "type_label": type_names.get(kind, kind) or _("Unknown"),
                **figures,
                "drill": ctx.drill(commodity_category=category),
            }
        )
    columns = [
        col("category_label", _("Commodity category")),
        col("type_label", _("Commodity type")),
        col("items", _("Items"), "items"),
        *quantity_columns(),
    ]
    return PanelResult(columns, _clean(out))
