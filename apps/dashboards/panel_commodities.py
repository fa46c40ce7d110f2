"""Commodity-specific panels: tobacco brands and genuineness, drug types by weight, CITES species, cash by currency.

Each reads the items of one commodity category (found by its code, whatever its case); under a filter for
another category it has nothing to show.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.reference.models import CommodityCategory, CommodityType, Unit
from apps.reports.choices import Genuineness

from .panel_defs import _clean, item_breakdown, labels
from .panels import PanelContext, PanelResult, col, panel
from .selectors import FigureSource
from .summaries import ITEMS

TOBACCO, DRUGS, CITES, CASH = "TOBACCO", "DRUGS", "CITES", "CASH"


def _category_source(ctx: PanelContext, code: str) -> FigureSource | None:
    """A source narrowed to the category ``code`` (its stored spelling), or None under a filter for another."""
    if ctx.filters.category and ctx.filters.category.upper() != code:
        return None
    stored = CommodityCategory.objects.filter(code__iexact=code).values_list("code", flat=True).first()
    if stored is None:
        return None
    return ctx.source_for(replace(ctx.filters, category=stored))


@panel(
    "tobacco_brands",
    gettext_lazy("Tobacco brands and genuineness"),
    gettext_lazy("Tobacco items and sticks per brand, split by genuine, counterfeit and illicit white."),
    "stacked",
)
def tobacco_brands(ctx: PanelContext) -> PanelResult:
    source = _category_source(ctx, TOBACCO)
    rows = source.rows(ITEMS, "brand_genuineness", ["value", "unit_family"]) if source else []
    genuineness = dict(Genuineness.choices)
    grouped: dict[tuple[str, str], dict[str, object]] = defaultdict(lambda: {"items": 0, "sticks": Decimal(0)})
    for row in rows:
        brand, _sep, kind = row["value"].rpartition("|")
        target = grouped[(brand, kind)]
        target["items"] += row["items"]  # type: ignore[operator]
        if row["unit_family"] == Unit.Dimension.STICKS:
            target["sticks"] += row["quantity"]  # type: ignore[operator]
    out = [
        {"brand": brand, "genuineness": kind, "genuineness_label": str(genuineness.get(kind, kind)), **figures}
        for (brand, kind), figures in sorted(grouped.items(), key=lambda kv: (-kv[1]["sticks"], kv[0]))  # type: ignore[operator]
    ]
    columns = [
        col("brand", _("Brand")),
        col("genuineness_label", _("Genuineness")),
        col("items", _("Items"), "items"),
        col("sticks", _("Quantity (sticks)"), "sticks"),
    ]
    return PanelResult(columns, _clean(out))


@panel(
    "drug_types",
    gettext_lazy("Drug types by weight"),
    gettext_lazy("Kilograms of drugs seized per drug type (items weighed in kg, g or t)."),
    "bar",
)
def drug_types(ctx: PanelContext) -> PanelResult:
    source = _category_source(ctx, DRUGS)
    rows = source.rows(ITEMS, "commodity_type", ["value", "unit_family"]) if source else []
    names = labels(CommodityType)
    weights: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row["unit_family"] == Unit.Dimension.MASS:
            weights[row["value"]] += row["quantity"]
    out = [
        {"value": code, "label": names.get(code, code) or _("Unknown"), "kg": kg}
        for code, kg in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return PanelResult([col("label", _("Drug type")), col("kg", _("Quantity (kg)"), "kg")], _clean(out))


@panel(
    "cites_species",
    gettext_lazy("CITES species"),
    gettext_lazy("Wildlife items per species, with their quantities per unit family."),
    "table",
)
def cites_species(ctx: PanelContext) -> PanelResult:
    return item_breakdown(ctx, "species", {}, _category_source(ctx, CITES))


@panel(
    "cash_currency",
    gettext_lazy("Cash by currency"),
    gettext_lazy("Cash seized per currency, in that currency (amounts in different currencies are never added)."),
    "bar",
)
def cash_currency(ctx: PanelContext) -> PanelResult:
    source = _category_source(ctx, CASH)
    rows = source.rows(ITEMS, "total", ["currency"]) if source else []
    out = [
        {"currency": row["currency"] or _("Unknown"), "items": row["items"], "amount": row["amount"]}
        for row in sorted(rows, key=lambda r: (-r["items"], r["currency"]))
    ]
    columns = [
        col("currency", _("Currency")),
        col("items", _("Items"), "items"),
        col("amount", _("Amount (in the row's currency)"), "currency"),
    ]
    return PanelResult(columns, _clean(out))
