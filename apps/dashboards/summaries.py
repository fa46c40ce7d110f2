"""What the summary tables hold: the dimensions and grains they count, from the reports, items and parties (how
they are recomputed: :mod:`apps.dashboards.fills`).

Each *dimension* is one axis a panel counts along, defined once here as a database expression over the base
tables. The same definitions fill the summary tables and answer, over the base tables, the filters the summaries
cannot (:mod:`apps.dashboards.selectors`): both paths count alike because they are the same expressions.

Counted reports are submitted or approved and not duplicates; the state is a summary key, so the figures of
approved reports and those with submitted ones added come from the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    ExtractHour,
    ExtractIsoWeekDay,
    TruncDate,
    TruncMonth,
    Upper,
)

from apps.reports.choices import COUNTED_STATES, PartyKind, RouteRole
from apps.reports.models import Party, Report, ReportItem, RouteCountry
from apps.reports.profiles import age_band_sql

from .models import (
    ALL_CATEGORIES,
    NO_OPERATION,
    ItemSummary,
    PersonSummary,
    RegionItemSummary,
    RegionReportSummary,
    ReportSummary,
)

# The route roles a flow starts from and ends at, in order of preference.
FLOW_START_ROLES = (RouteRole.DEPARTURE.value, RouteRole.ORIGIN.value)
FLOW_END_ROLES = (RouteRole.DESTINATION.value, RouteRole.INTENDED_DESTINATION.value)
TEXT: models.Field[Any, Any] = models.CharField()


@dataclass(frozen=True)
class Dimension:
    """One axis of counting: ``value`` builds the expression (over the base model) of a row's value; ``where``
    keeps only the rows that have one (a transit step, a CITES species)."""

    name: str
    value: Callable[[], Any]
    where: Callable[[], Q] | None = None
    # A route role whose countries are the values (:func:`_route_countries`): a rebuild reads them from the places
    # it stages ('role:country'), not from the route again.
    route_role: str | None = None


def _code(path: str) -> Callable[[], Any]:
    return lambda: Coalesce(F(path), Value(""), output_field=TEXT)


def _route_countries(name: str, role: str) -> Dimension:
    """The countries of a route role, a row per report and country."""
    return Dimension(name, _code("route__country"), lambda: Q(route__role=role), route_role=role)


def _route_end(roles: Sequence[str]) -> Any:
    """The country of the report's first route step among ``roles`` (by role preference, then sequence)."""
    preference = models.Case(
        *(models.When(role=role, then=Value(rank)) for rank, role in enumerate(roles)),
        output_field=models.IntegerField(),
    )
    steps = (
        RouteCountry.objects.filter(report=models.OuterRef("pk"), role__in=roles)
        .order_by(preference, "sequence")
        .values("country")[:1]
    )
    return Coalesce(models.Subquery(steps, output_field=TEXT), Value(""), output_field=TEXT)


def _weekday_hour() -> Any:
    hour = Coalesce(Cast(ExtractHour("seizure_time"), TEXT), Value(""), output_field=TEXT)
    return Concat(Cast(ExtractIsoWeekDay("seizure_date"), TEXT), Value(" "), hour, output_field=TEXT)


def _submission_days() -> Any:
    days = models.Func(
        TruncDate("submitted_at"), F("seizure_date"), template="(%(expressions)s)", arg_joiner=" - ",
        output_field=models.IntegerField(),
    )  # fmt: skip
    return Coalesce(Cast(days, TEXT), Value(""), output_field=TEXT)


# Report-level dimensions: each counts reports (once per value).
REPORT_DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("total", lambda: Value("", output_field=TEXT)),
        # The reporting administration (its id): the region-wide rows count per administration with it.
        Dimension("administration", lambda: Cast("administration_id", TEXT)),
        Dimension("country_of_seizure", _code("country_of_seizure")),
        Dimension("transport_mode", _code("transport_mode__code")),
        Dimension("detection_method", _code("detection_methods__code")),
        Dimension("selection_basis", _code("selection_basis__code")),
        Dimension("direction", _code("direction__code")),
        Dimension("location_type", _code("location_type__code")),
        Dimension(
            "route",
            lambda: Concat(_route_end(FLOW_START_ROLES), Value(">"), _route_end(FLOW_END_ROLES), output_field=TEXT),
        ),
        _route_countries("transit", RouteRole.TRANSIT),
        Dimension("weekday_hour", _weekday_hour),
        Dimension("submission_days", _submission_days),
    )
}

# Item-level dimensions: each counts items, and sums their normalised quantities and estimated values.
ITEM_DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("total", lambda: Value("", output_field=TEXT)),
        Dimension("commodity_type", _code("commodity_type__code")),
        Dimension("concealment", _code("concealment_method__code")),
        Dimension(
            "brand_genuineness",
            lambda: Concat(Upper(models.functions.Trim("brand")), Value("|"), F("genuineness"), output_field=TEXT),
            lambda: ~Q(brand=""),
        ),
        Dimension(
            "species",
            lambda: Coalesce(KeyTextTransform("species", "attributes"), Value(""), output_field=TEXT),
            lambda: Q(attributes__has_key="species"),
        ),
    )
}

# Person-derived dimensions: each counts persons (parties of kind person).
PERSON_DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("nationality", _code("nationality")),
        Dimension("sex", _code("sex")),
        Dimension(
            "age_band",
            lambda: Coalesce(age_band_sql(F("birth_date"), on=F("report__seizure_date")), Value(""), output_field=TEXT),
        ),
    )
}


@dataclass(frozen=True)
class Grain:
    """One summary table: its model, the dimensions it holds, the base rows it counts and how they reach the
    report (``prefix``), and its measures."""

    model: type[models.Model]
    dimensions: Mapping[str, Dimension]
    base: Callable[[], QuerySet[Any]]
    prefix: str
    measures: Callable[[], dict[str, Any]]
    extra_keys: Callable[[], dict[str, Any]] = field(default=dict)
    by_report_category: bool = True  # a category key per category of the report's items (else the item's own)
    region_model: type[models.Model] | None = None  # its region-wide summary (RegionKey), if it has one

    def keys(self, *, category: bool) -> dict[str, Any]:
        """The summary keys as expressions over this grain's base rows (``category``: per category, else '*')."""
        p = self.prefix
        keys: dict[str, Any] = {
            "month": TruncMonth(f"{p}seizure_date", output_field=models.DateField()),
            "administration_id": F(f"{p}administration_id"),
            "state": F(f"{p}status"),
            "operation_key": Coalesce(F(f"{p}operation_id"), Value(NO_OPERATION)),
        }
        if not self.by_report_category:
            keys["category"] = F("commodity_category__code")
        elif category:
            keys["category"] = F(f"{p}items__commodity_category__code")
        else:
            keys["category"] = Value(ALL_CATEGORIES, output_field=TEXT)
        return keys | self.extra_keys()

    def counted(self) -> QuerySet[Any]:
        p = self.prefix
        return self.base().filter(**{f"{p}status__in": COUNTED_STATES, f"{p}duplicate_of__isnull": True})


def _report_measures() -> dict[str, Any]:
    return {"reports": Count("pk", distinct=True)}


def _item_measures() -> dict[str, Any]:
    return {
        "items": Count("pk"),
        "quantity": Coalesce(Sum("normalised_quantity"), Value(0), output_field=models.DecimalField()),
        "amount": Coalesce(Sum("estimated_value"), Value(0), output_field=models.DecimalField()),
    }


def _person_measures() -> dict[str, Any]:
    return {"persons": Count("pk", distinct=True)}


REPORTS = Grain(
    ReportSummary,
    REPORT_DIMENSIONS,
    lambda: Report.objects.all(),
    "",
    _report_measures,
    region_model=RegionReportSummary,
)
ITEMS = Grain(
    ItemSummary,
    ITEM_DIMENSIONS,
    lambda: ReportItem.objects.all(),
    "report__",
    _item_measures,
    extra_keys=lambda: {
        "unit_family": F("normalised_dimension"),
        "currency": Coalesce(F("currency__code"), Value(""), output_field=TEXT),
    },
    by_report_category=False,
    region_model=RegionItemSummary,
)
PERSONS = Grain(
    PersonSummary,
    PERSON_DIMENSIONS,
    lambda: Party.objects.filter(kind=PartyKind.PERSON),
    "report__",
    _person_measures,
)
# In the order they are filled: the items' and persons' fills read what the reports' fill stages (its places, its
# items' categories: apps.dashboards.fills).
GRAINS = (REPORTS, ITEMS, PERSONS)


def grouped_rows(rows: QuerySet[Any], grain: Grain, dimension: Dimension, *, keys: Mapping[str, Any]) -> QuerySet[Any]:
    """``rows`` (of the grain's base model) counted per ``keys`` (name: expression) and the dimension's value:
    one dict per group, with the grain's measures. The keys come first, then ``dimension``, ``value`` and the
    measures, in that order (the order the summary's ``INSERT`` names its columns in)."""
    if dimension.where is not None:
        rows = rows.filter(dimension.where())
    named = {**keys, "dimension": Value(dimension.name, output_field=TEXT), "value": dimension.value()}
    aliased = {f"k_{name}": expression for name, expression in named.items()}
    rows = rows.annotate(**aliased)
    if "category" in keys:
        rows = rows.filter(k_category__isnull=False)  # per category: a report without items has none
    return rows.values(*aliased).annotate(**grain.measures()).order_by()
