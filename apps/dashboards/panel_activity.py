"""Panels of where and when: routes and transit, the pattern by weekday and hour, joint operations, largest seizures."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.reference.models import CommodityCategory, CommodityType
from apps.reports.models import Operation, Report, ReportItem

from .models import LargestItem
from .panel_defs import UNIT_FAMILIES, _clean, country_name, labels, quantities_by, quantity_columns, unit_label
from .panels import PanelContext, PanelResult, col, panel
from .selectors import BASE, BaseSource, SummarySource, summary_rows
from .summaries import ITEMS, REPORTS

# Route pairs shown (the largest flows); the rest are summed in a note.
TOP_FLOWS = 100
LARGEST_SHOWN = 10


@panel(
    "routes",
    gettext_lazy("Routes"),
    gettext_lazy("Reports per route, from the departure (else origin) to the destination (else intended one)."),
    "flows",
)
def routes(ctx: PanelContext) -> PanelResult:
    rows = sorted(ctx.source.rows(REPORTS, "route", ["value"]), key=lambda r: (-r["reports"], r["value"]))
    out = []
    for row in rows[:TOP_FLOWS]:
        start, _sep, end = row["value"].partition(">")
        out.append(
            {
                "from": start,
                "from_label": country_name(start),
                "to": end,
                "to_label": country_name(end),
                "reports": row["reports"],
            }
        )
    if len(rows) > TOP_FLOWS:
        rest = sum(r["reports"] for r in rows[TOP_FLOWS:])
        ctx.notes.append(
            ngettext("%(count)d more report on smaller routes.", "%(count)d more reports on smaller routes.", rest)
            % {"count": rest}
        )
    columns = [col("from_label", _("From")), col("to_label", _("To")), col("reports", _("Reports"), "reports")]
    return PanelResult(columns, out)


@panel(
    "transit",
    gettext_lazy("Transit countries"),
    gettext_lazy("Reports whose goods passed through each country (a report counts for each transit country)."),
    "bar",
)
def transit(ctx: PanelContext) -> PanelResult:
    rows = sorted(ctx.source.rows(REPORTS, "transit", ["value"]), key=lambda r: (-r["reports"], r["value"]))
    out = [{"value": r["value"], "label": country_name(r["value"]), "reports": r["reports"]} for r in rows]
    return PanelResult([col("label", _("Country")), col("reports", _("Reports"), "reports")], out)


@panel(
    "weekday_hour",
    gettext_lazy("Weekday and hour"),
    gettext_lazy("Reports per weekday and hour of the seizure (reports without a time are counted apart)."),
    "heatmap",
)
def weekday_hour(ctx: PanelContext) -> PanelResult:
    rows = ctx.source.rows(REPORTS, "weekday_hour", ["value"])
    out, untimed = [], 0
    for row in rows:
        weekday, _sep, hour = row["value"].partition(" ")
        if hour == "":
            untimed += row["reports"]
            continue
        out.append({"weekday": int(weekday), "hour": int(hour), "reports": row["reports"]})
    out.sort(key=lambda r: (r["weekday"], r["hour"]))
    if untimed:
        ctx.notes.append(
            ngettext(
                "%(count)d report gives no time of seizure.", "%(count)d reports give no time of seizure.", untimed
            )
            % {"count": untimed}
        )
    columns = [
        col("weekday", _("Weekday (1 = Monday)")),
        col("hour", _("Hour")),
        col("reports", _("Reports"), "reports"),
    ]
    return PanelResult(columns, out)


@panel(
    "joint_operations",
    gettext_lazy("Joint operations"),
    gettext_lazy("Cases, quantities and participating administrations per joint operation."),
    "table",
)
def joint_operations(ctx: PanelContext) -> PanelResult:
    reports = ctx.source.rows(REPORTS, "administration", ["operation_key", "value"])
    items = quantities_by(ctx.source.rows(ITEMS, "total", ["operation_key", "unit_family"]), "operation_key")
    cases: dict[int, int] = defaultdict(int)
    administrations: dict[int, set[int]] = defaultdict(set)
    for row in reports:
        if row["operation_key"] and row["reports"]:
            cases[row["operation_key"]] += row["reports"]
            administrations[row["operation_key"]].add(int(row["value"]))
    operations = {op.pk: op for op in Operation.objects.filter(pk__in=list(cases))}
    out = []
    for key in sorted(cases, key=lambda k: -cases[k]):
        operation = operations.get(key)
        figures = items.get(key, {"items": 0} | {f"quantity_{f}": Decimal(0) for f, _u in UNIT_FAMILIES})
        out.append(
            {
                "operation": operation.code if operation else str(key),
                "label": operation.name if operation else str(key),
                "reports": cases[key],
                "administrations": len(administrations[key]),
                **figures,
            }
        )
    columns = [
        col("label", _("Joint operation")),
        col("reports", _("Cases"), "reports"),
        col("administrations", _("Participating administrations"), "administrations"),
        col("items", _("Items"), "items"),
        *quantity_columns(),
    ]
    return PanelResult(columns, _clean(out))


def _largest_ids(ctx: PanelContext, family: str) -> list[int]:
    """The ids of the largest counted items of one unit family under the filters."""
    source = ctx.source
    if isinstance(source, SummarySource) and not ctx.filters.place():  # (no largest items are kept per place)
        f = ctx.filters
        rows = summary_rows(LargestItem, scope=ctx.scope).filter(
            unit_family=family, administration_id__in=source.administrations, state__in=f.states
        )
        if f.date_from:
            rows = rows.filter(month__gte=f.date_from.replace(day=1))
        if f.date_to:
            rows = rows.filter(month__lte=f.date_to)
        if source.operation_id is not None:
            rows = rows.filter(operation_key=source.operation_id)
        if f.category:
            rows = rows.filter(category=f.category)
        return list(rows.order_by("-quantity", "item_id").values_list("item_id", flat=True)[:LARGEST_SHOWN])
    source.kinds.add(BASE)  # counted from the items themselves (also under a country: no largest kept per place)
    base = source if isinstance(source, BaseSource) else BaseSource(source.filters, source.scope)
    items = ReportItem.objects.filter(
        base.item_filter(),
        report__in=base.reports(),
        normalised_dimension=family,
        normalised_quantity__isnull=False,
    )
    return list(items.order_by("-normalised_quantity", "pk").values_list("pk", flat=True)[:LARGEST_SHOWN])


@panel(
    "largest_seizures",
    gettext_lazy("Largest seizures"),
    gettext_lazy("The largest items seized per unit family, linking to the reports you may open."),
    "table",
)
def largest_seizures(ctx: PanelContext) -> PanelResult:
    wanted = {family: _largest_ids(ctx, family) for family, _unit in UNIT_FAMILIES}
    ids = [pk for ids in wanted.values() for pk in ids]
    # A row names one report (its quantity, day, country and administration): only reports the reader may open are
    # listed; the others (another administration's) are only counted, in a note.
    found = {
        item.pk: item
        for item in ReportItem.objects.filter(
            pk__in=ids, report__in=Report.objects.restrict(ctx.user, "view").values("pk")
        ).select_related("report", "report__administration")
    }
    existing = set(ReportItem.objects.filter(pk__in=ids).values_list("pk", flat=True))
    categories, types = labels(CommodityCategory), labels(CommodityType)
    category_codes = dict(CommodityCategory.objects.values_list("pk", "code"))
    type_codes = dict(CommodityType.objects.values_list("pk", "code"))
    out: list[dict[str, Any]] = []
    hidden = 0
    for family, unit in UNIT_FAMILIES:
        for pk in wanted[family]:
            item = found.get(pk)
            if item is None:
                if pk in existing:  # (not one deleted since the summaries were computed)
                    hidden += 1
                continue
            report = item.report
            row = {
                "unit_family": family,
                "quantity": item.normalised_quantity,
                "unit": unit_label(unit),
                "category_label": categories.get(category_codes.get(item.commodity_category_id, ""), ""),
                "type_label": types.get(type_codes.get(item.commodity_type_id or 0, ""), ""),
                "seizure_date": report.seizure_date.isoformat(),
                "country": report.country_of_seizure.code,
                "administration": str(report.administration),
                "drill": reverse("reports:detail", kwargs={"uuid": report.uuid}),
            }
            out.append(row)
    if hidden:
        ctx.notes.append(
            ngettext(
                "%(count)d of the largest seizures is in a report you cannot open; it is left out.",
                "%(count)d of the largest seizures are in reports you cannot open; they are left out.",
                hidden,
            )
            % {"count": hidden}
        )
    columns = [
        col("quantity", _("Quantity")),
        col("unit", _("Unit")),
        col("category_label", _("Commodity category")),
        col("type_label", _("Commodity type")),
        col("seizure_date", _("Seizure date")),
        col("country", _("Country of seizure")),
        col("administration", _("Administration")),
    ]
    return PanelResult(columns, _clean(out))
