"""What the summary tables hold and how they are (re)computed from the reports, items and parties.

Each *dimension* is one axis a panel counts along, defined once here as a database expression over the base
tables. The same definitions fill the summary tables and answer, over the base tables, the filters the summaries
cannot (:mod:`apps.dashboards.selectors`): both paths count alike because they are the same expressions. A fill
stages each grain's base rows once (keys, measures and every single-valued dimension) and inserts one
``GROUP BY`` of the staged rows unpivoted by dimension (:func:`_fill_staged`); the dimensions that give a report
several values (detection methods, transit steps) are staged as rows of their own, one per report and value.

Counted reports are submitted or approved and not duplicates; the state is a summary key, so the figures of
approved reports and those with submitted ones added come from the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    ExtractHour,
    ExtractIsoWeekDay,
    Substr,
    TruncDate,
    TruncMonth,
    Upper,
)

from apps.reports.choices import COUNTED_STATES, PartyKind, RouteRole
from apps.reports.models import Party, Report, ReportItem, RouteCountry
from apps.reports.profiles import age_band_sql
from apps.tenancy.models import Administration

from .models import (
    ALL_CATEGORIES,
    NO_OPERATION,
    ItemSummary,
    LargestItem,
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


def _code(path: str) -> Callable[[], Any]:
    return lambda: Coalesce(F(path), Value(""), output_field=TEXT)


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
        Dimension("transit", _code("route__country"), lambda: Q(route__role=RouteRole.TRANSIT)),
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
        Dimension("hs_chapter", lambda: Coalesce(Substr("hs_code__code", 1, 2), Value(""), output_field=TEXT)),
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


def _insert(grain: Grain, rows: QuerySet[Any], columns: Sequence[str]) -> None:
    _insert_into(grain.model, rows, columns)


def _insert_into(model: type[models.Model], rows: QuerySet[Any], columns: Sequence[str]) -> None:
    """``INSERT INTO <table> (columns) SELECT ...`` of a grouped queryset: the ORM builds the SELECT and has no way
    to say the INSERT around it."""
    sql, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) {sql}", params)


# Report-level dimensions that can give a report more than one value (a row per detection method, per transit step):
# staged as rows of their own; every other report-level dimension has one value per report.
MULTI_VALUED_REPORT_DIMENSIONS = frozenset({"detection_method", "transit"})


# How each grain's measures are summed over its staged rows (one row per report, item or person): the staged
# measure columns are ``m_<name>``.
STAGED_MEASURES: dict[str, dict[str, str]] = {
    "reports": {"reports": "COUNT(*)"},
    "items": {
        "items": "COUNT(*)",
        "quantity": 'COALESCE(SUM(s."m_quantity"), 0)',
        "amount": 'COALESCE(SUM(s."m_amount"), 0)',
    },
    "persons": {"persons": "COUNT(*)"},
}


def _staged_measures(grain: Grain) -> tuple[dict[str, str], dict[str, Any]]:
    """The measures' SQL over the staged rows, and the staged measure columns (name: expression)."""
    if grain is ITEMS:
        return STAGED_MEASURES["items"], {"m_quantity": F("normalised_quantity"), "m_amount": F("estimated_value")}
    return STAGED_MEASURES["reports" if grain is REPORTS else "persons"], {}


def _staged_value(dimension: Dimension) -> Any:
    """The dimension's value of a staged row; NULL where the row has none (the dimension's ``where``)."""
    if dimension.where is None:
        return dimension.value()
    return models.Case(models.When(dimension.where(), then=dimension.value()), default=None, output_field=TEXT)


@transaction.atomic  # the staging tables live until the transaction's end
def _fill_staged(grain: Grain, rows: QuerySet[Any]) -> None:
    """A grain's summary of ``rows`` in one pass over its base rows instead of one per dimension and category.

    Each counted row's keys, measures and single-valued dimensions are computed once into a temporary table (the
    costly part: the joins and the route subqueries); the summary rows are then one ``GROUP BY`` of that table
    unpivoted by dimension (a ``LATERAL VALUES`` row per dimension; a NULL value is no row), under '*' and, for
    the grains keyed by the report's categories, once more joined to the report's distinct item categories. The
    ORM can say neither the temporary table nor the unpivot (figures in the commit messages)."""
    multi = MULTI_VALUED_REPORT_DIMENSIONS if grain is REPORTS else frozenset()
    single = {name: d for name, d in grain.dimensions.items() if name not in multi}
    keys = grain.keys(category=False)
    key_names = [name for name in keys if not (grain.by_report_category and name == "category")]
    measures_sql, measure_columns = _staged_measures(grain)
    report_path = f"{grain.prefix}pk" if grain.prefix else "pk"
    staged = rows.annotate(
        **{f"k_{name}": keys[name] for name in key_names},
        **{f"v_{name}": _staged_value(dimension) for name, dimension in single.items()},
        **measure_columns,
    )
    if "category" in key_names:
        staged = staged.filter(k_category__isnull=False)  # an item without a category is counted nowhere
    staged = staged.values(
        *(f"k_{name}" for name in key_names),
        *(f"v_{name}" for name in single),
        *measure_columns,
        s_report=F(report_path),
    ).order_by()
    quote = connection.ops.quote_name
    stage, stage_categories = quote("dashboards_stage_rows"), quote("dashboards_stage_categories")
    staging = [(stage, staged)]
    if grain.by_report_category:
        categories = (
            ReportItem.objects.filter(report_id__in=rows.values(report_path), commodity_category__isnull=False)
            .values("report_id", k_category=F("commodity_category__code"))
            .distinct()
            .order_by()
        )
        staging.append((stage_categories, categories))
    stage_multi = quote("dashboards_stage_multi")
    if multi:
        staging.append((stage_multi, _multi_values(rows, [grain.dimensions[name] for name in sorted(multi)])))
    insert_columns = [*key_names, *(["category"] if grain.by_report_category else []), "dimension", "value"]
    columns = ", ".join(quote(c) for c in [*insert_columns, *measures_sql])
    unpivot = ", ".join(f"(%s, s.{quote('v_' + name)})" for name in single)
    selected_keys = ", ".join(f"s.{quote('k_' + name)}" for name in key_names)
    grouped_by = ", ".join(str(position) for position in range(1, len(insert_columns) + 1))
    # The dimensions' values of a staged row: its single-valued ones unpivoted, then the multi-valued ones' rows.
    values = [(f"CROSS JOIN LATERAL (VALUES {unpivot}) AS d (dimension, value) WHERE d.value IS NOT NULL", [*single])]
    if multi:
        values.append((f"JOIN {stage_multi} d ON d.{quote('s_report')} = s.{quote('s_report')}", []))
    with connection.cursor() as cursor:
        for name, queryset in staging:
            sql, params = queryset.query.sql_with_params()
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            cursor.execute(f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS {sql}", params)
            cursor.execute(f"ANALYZE {name}")
        passes: list[tuple[str, str, list[str]]] = [("", "", [])]
        if grain.by_report_category:
            per_category = f"JOIN {stage_categories} c ON c.{quote('report_id')} = s.{quote('s_report')}"
            passes = [("%s, ", "", [ALL_CATEGORIES]), (f"c.{quote('k_category')}, ", per_category, [])]
        for category_sql, join, category_params in passes:
            for dimensions, dimension_params in values:
                # Names from the models and this module's constants; the values are parameters.
                insert = (
                    f"INSERT INTO {quote(grain.model._meta.db_table)} ({columns}) "  # noqa: S608
                    f"SELECT {selected_keys}, {category_sql}d.dimension, d.value, {', '.join(measures_sql.values())} "
                    f"FROM {stage} s {join} {dimensions} GROUP BY {grouped_by}"
                )
                cursor.execute(insert, [*category_params, *dimension_params])
        cursor.execute(f"DROP TABLE {', '.join(name for name, _ in staging)}")


def _multi_values(rows: QuerySet[Any], dimensions: Sequence[Dimension]) -> QuerySet[Any]:
    """The distinct (report, dimension, value) rows of report-level dimensions with several values per report (a row
    per detection method, per transit step), one query for them all."""
    parts = []
    for dimension in dimensions:
        chosen = rows.filter(dimension.where()) if dimension.where is not None else rows
        parts.append(
            chosen.annotate(m_value=dimension.value())
            .values(s_report=F("pk"), dimension=Value(dimension.name, output_field=TEXT), value=F("m_value"))
            .distinct()
            .order_by()
        )
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def _fill(grain: Grain, rows: QuerySet[Any]) -> None:
    _fill_staged(grain, rows)


# How many of a bucket's largest items are kept per state, operation, category and unit family.
LARGEST_KEPT = 10


def largest_items(items: QuerySet[Any]) -> QuerySet[Any]:
    """The largest ``LARGEST_KEPT`` of ``items`` (counted, with a normalised quantity) per bucket, state, operation,
    category and unit family, as rows of :class:`LargestItem`'s columns (in its ``INSERT``'s order)."""
    keys = ITEMS.keys(category=False)
    partition = [keys["month"], F("report__administration_id"), F("report__status"), keys["operation_key"],
                 F("commodity_category__code"), F("normalised_dimension")]  # fmt: skip
    ranked = items.exclude(normalised_quantity__isnull=True).annotate(
        rank=models.Window(
            models.functions.RowNumber(), partition_by=partition, order_by=[F("normalised_quantity").desc(), F("pk")]
        ),
        **{f"k_{name}": keys[name] for name in ("month", "administration_id", "state", "operation_key", "category")},
        k_unit_family=F("normalised_dimension"),
        k_report=F("report_id"),
    )
    return ranked.filter(rank__lte=LARGEST_KEPT).values(
        "k_month", "k_administration_id", "k_state", "k_operation_key", "k_category", "k_unit_family", "pk",
        "k_report", "normalised_quantity",
    ).order_by()  # fmt: skip


LARGEST_COLUMNS = ("month", "administration_id", "state", "operation_key", "category", "unit_family", "item_id",
                   "report_id", "quantity")  # fmt: skip


def _fill_largest(items: QuerySet[Any]) -> None:
    sql, params = largest_items(items).query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in LARGEST_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(LargestItem._meta.db_table)} ({names}) {sql}", params)


def month_after(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


# The advisory lock class of a seizure month's summary rows (its key: the month's index): a full rebuild replaces a
# month holding it exclusively; a bucket's recompute holds it shared (buckets of one month are recomputed at once).
_MONTH_LOCK = "dashboards_month"


def _month_index(month: dt.date) -> int:
    return month.year * 12 + month.month - 1


def month_lock(month: dt.date, *, shared: bool) -> None:
    """Wait for the month's lock until this transaction ends: a bucket's recompute and a month's rebuild never run
    at once (each deletes rows the other inserts; neither would see the other's, and they would be counted twice).
    Readers take no lock at all. PostgreSQL's advisory locks have no ORM form."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(hashtext(%s), %s)", [_MONTH_LOCK, _month_index(month)])


# The advisory lock class of a region's month of region-wide rows (keys: the region's and the month's): two buckets
# of one region and month recomputed at once would each delete, then insert, the same region-wide rows.
_REGION_MONTH_LOCK = "dashboards_region_month"


@transaction.atomic
def bucket_recompute(*, month: dt.date, administration_id: int) -> None:
    """Replace the summary rows of one bucket (a seizure month of an administration), and the region-wide rows of
    its region's month, with those the reports give now. Idempotent: the same reports give the same rows, however
    often it runs."""
    month_lock(month, shared=True)
    _replace(month=month, administration_id=administration_id)
    region_id = Administration.objects.filter(pk=administration_id).values_list("region_id", flat=True).first()
    if region_id is not None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", [f"{_REGION_MONTH_LOCK}:{region_id}",
                                                                             _month_index(month)])  # fmt: skip
        _roll_up(month=month, region_id=region_id)


def _replace(*, month: dt.date, administration_id: int | None) -> None:
    """Delete the summary rows of a month (of one administration, or of all: then its region-wide rows are rolled
    up again too) and insert what the reports give now."""
    for grain in GRAINS:
        p = grain.prefix
        bucket: dict[str, Any] = {f"{p}seizure_date__gte": month, f"{p}seizure_date__lt": month_after(month)}
        stored: dict[str, Any] = {"month": month}
        if administration_id is not None:
            bucket[f"{p}administration_id"] = administration_id
            stored["administration_id"] = administration_id
        grain.model._default_manager.filter(**stored).delete()
        _fill(grain, grain.counted().filter(**bucket))
        if grain is ITEMS:
            LargestItem.objects.filter(**stored).delete()
            _fill_largest(grain.counted().filter(**bucket))
    if administration_id is None:
        _roll_up(month=month, region_id=None)


def _roll_up(*, month: dt.date, region_id: int | None) -> None:
    """Replace the region-wide rows of a month (of one region, or of all) with the sums of its administrations'
    rows: every measure is a sum over reports, items or persons, each of one administration, so the sums are what
    a count over the region's reports gives."""
    for grain in GRAINS:
        if grain.region_model is None:
            continue
        stored = grain.region_model._default_manager.filter(month=month)
        rows = grain.model._default_manager.filter(month=month)
        if region_id is not None:
            stored = stored.filter(region_id=region_id)
            rows = rows.filter(administration__region_id=region_id)
        stored.delete()
        keys = [*REGION_COLUMNS, *grain.extra_keys()]
        summed = rows.values(*keys, k_region=F("administration__region_id")).annotate(
            **{f"m_{name}": Sum(name) for name in grain.measures()}
        )
        _insert_into(grain.region_model, summed.order_by(), [*keys, "region_id", *grain.measures()])


# The key columns of a region-wide row, in the order its roll-up selects them (then the grain's own keys, the region
# and the measures).
REGION_COLUMNS = ("month", "state", "operation_key", "category", "dimension", "value")


def summary_months() -> list[dt.date]:
    """Every seizure month that has counted reports or summary rows (what a full rebuild goes through)."""
    counted = REPORTS.counted().annotate(m=TruncMonth("seizure_date", output_field=models.DateField()))
    months = set(counted.values_list("m", flat=True).distinct().order_by())
    # A largest item's month has the item's summary rows too: LargestItem need not be read.
    for model in (*(grain.model for grain in GRAINS), *(g.region_model for g in GRAINS if g.region_model)):
        months |= set(model._default_manager.values_list("month", flat=True).distinct().order_by())
    return sorted(months)


def month_replace(month: dt.date) -> None:
    """Replace every summary row of one seizure month (all administrations) with what its reports give now; in the
    caller's transaction, which holds the month's lock (:func:`month_lock`). Readers meanwhile see the month's
    previous rows (deleted rows stay readable until the commit; no table lock is taken), then its new ones."""
    _replace(month=month, administration_id=None)


def bucket_totals_from_reports() -> dict[tuple[dt.date, int, str], tuple[int, int]]:
    """Per bucket and state: the counted reports and their items, from the base tables."""
    totals: dict[tuple[dt.date, int, str], list[int]] = {}
    for grain, measure in ((REPORTS, "reports"), (ITEMS, "items")):
        keys = grain.keys(category=False)
        rows = grain.counted().annotate(
            k_month=keys["month"], k_administration=keys["administration_id"], k_state=keys["state"]
        )
        counted = rows.values("k_month", "k_administration", "k_state").annotate(n=grain.measures()[measure])
        for row in counted.order_by():
            key = (row["k_month"], row["k_administration"], row["k_state"])
            totals.setdefault(key, [0, 0])[0 if measure == "reports" else 1] = row["n"]
    return {key: (reports, items) for key, (reports, items) in totals.items()}


def bucket_totals_from_summaries() -> dict[tuple[dt.date, int, str], tuple[int, int]]:
    """Per bucket and state: the reports and items the summaries count."""
    totals: dict[tuple[dt.date, int, str], list[int]] = {}
    for model, measure in ((ReportSummary, "reports"), (ItemSummary, "items")):
        rows = model._default_manager.filter(dimension="total", category=ALL_CATEGORIES)
        if model is ItemSummary:
            rows = model._default_manager.filter(dimension="total")
        summed = rows.values("month", "administration_id", "state").annotate(n=Sum(measure)).order_by()
        for row in summed:
            key = (row["month"], row["administration_id"], row["state"])
            totals.setdefault(key, [0, 0])[0 if measure == "reports" else 1] = row["n"]
    return {key: (reports, items) for key, (reports, items) in totals.items()}
