"""How the summary tables are (re)computed from the reports, items and parties (what they hold:
:mod:`apps.dashboards.summaries`).

A fill stages each grain's base rows once (keys, measures and every single-valued dimension) in a temporary table
and inserts one ``GROUP BY`` of the staged rows with a grouping set per single-valued dimension
(:func:`_fill_staged`); the dimensions that give a report several values (detection methods, transit steps) are
staged as rows of their own, one per report and value, and inserted by a ``GROUP BY`` of their own. The
region-wide rows at any place ('') are the sums of the administrations' rows (:func:`_roll_up`); those per place
join the staged rows to their reports' places (:func:`_stage_places`), for a whole month at once in a rebuild,
and per region and month after a bucket's recompute (:func:`places_recompute`).

Every fill of a month holds the month's lock (:func:`month_lock`); the ORM can say neither the temporary tables,
the grouping sets, the ``INSERT ... SELECT`` nor the advisory locks (figures in the commit messages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, QuerySet, Sum, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.reports.models import ReportItem, RouteCountry
from apps.tenancy.models import Administration

from .models import (
    ALL_CATEGORIES,
    DirtyPlaces,
    ItemSummary,
    LargestItem,
    RegionItemSummary,
    RegionReportSummary,
    ReportSummary,
)
from .summaries import GRAINS, ITEMS, REPORTS, TEXT, Dimension, Grain
from .writes import Targets, changed_only


def _insert_into(model: type[models.Model], rows: QuerySet[Any], columns: Sequence[str], targets: Targets) -> None:
    """``INSERT INTO <table> (columns) SELECT ...`` of a grouped queryset: the ORM builds the SELECT and has no way
    to say the INSERT around it."""
    sql, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_target(model, targets)} ({names}) {sql}", params)


def _target(model: type[models.Model], targets: Targets) -> str:
    """The table a fill writes the model's rows to (:mod:`apps.dashboards.writes`)."""
    return targets.get(model) or connection.ops.quote_name(model._meta.db_table)


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


# A fill's settings, until the end of its transaction (a month's, a bucket's or a region's month's):
# - memory for its sorts and hash tables (PostgreSQL's defaults: 4 MB, hash tables twice that): the grouping sets'
#   hash tables of a month's places need more, else the rows are sorted, two to three times slower (1.57 s against
#   0.6 s for the items of a month's places). The planner estimates groups at several times their number (583,479
#   for 73,874), so hash tables may take eight times work_mem, 512 MB (four times still sorts); a month's items per
#   place take 80 MB in the benchmark.
# - no JIT compilation: those estimates make every fill's statements costly enough to be compiled, and compiling
#   them costs more than it saves (a month's fill 7.2 s without, 7.7 s with).
FILL_SETTINGS = (("work_mem", "64MB"), ("hash_mem_multiplier", "8"), ("jit", "off"))


def _fill_settings() -> None:
    """:data:`FILL_SETTINGS` until the end of the transaction (of a month's or a bucket's fill)."""
    with connection.cursor() as cursor:
        for setting, value in FILL_SETTINGS:
            cursor.execute("SELECT set_config(%s, %s, true)", [setting, value])


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
def _fill_staged(
    grain: Grain,
    rows: QuerySet[Any],
    targets: Targets,
    *,
    by_administration: bool = True,
    places: bool = False,
    largest: bool = False,
) -> None:
    """A grain's summary of ``rows`` in one pass over its base rows instead of one per dimension and category: the
    rows per administration (``by_administration``) and, with ``places`` and a grain with a region-wide summary,
    the region-wide rows per place. The reports' fill stages their places (:func:`_stage_places`) and their items'
    categories; the items' and persons' fills after it, in the same transaction, read them (the caller drops them:
    :func:`_drop_kept`).

    Each counted row's keys, measures and single-valued dimensions are computed once into a temporary table (the
    costly part: the joins and the route subqueries); the summary rows are then a ``GROUP BY`` of that table with a
    grouping set per single-valued dimension (a NULL value is no row) and another of it joined to the multi-valued
    dimensions' staged rows, under '*' and, for the grains keyed by the report's categories, once more joined to
    the report's distinct item categories. Per place, the grains keyed by the report's categories have every
    dimension under '*' and the totals per category (the trend's months per category, for a country); the items,
    every dimension under their own category. With ``largest`` (the items), the largest items too
    (:func:`_fill_largest`)."""
    multi = MULTI_VALUED_REPORT_DIMENSIONS if grain is REPORTS else frozenset()
    single = {name: d for name, d in grain.dimensions.items() if name not in multi}
    keys = grain.keys(category=False)
    key_names = [name for name in keys if not (grain.by_report_category and name == "category")]
    measures_sql, measure_columns = _staged_measures(grain)
    report_path = f"{grain.prefix}pk" if grain.prefix else "pk"
    by_place = places and grain.region_model is not None
    region_key = {"k_region_id": F(f"{grain.prefix}administration__region_id")} if by_place else {}
    staged = rows.annotate(
        **{f"k_{name}": keys[name] for name in key_names},
        **region_key,
        **{f"v_{name}": _staged_value(dimension) for name, dimension in single.items()},
        **measure_columns,
    )
    if "category" in key_names:
        staged = staged.filter(k_category__isnull=False)  # an item without a category is counted nowhere
    staged = staged.values(
        *(f"k_{name}" for name in key_names),
        *region_key,
        *(f"v_{name}" for name in single),
        *measure_columns,
        s_report=F(report_path),
        **({"s_item": F("pk")} if largest else {}),
    ).order_by()
    quote = connection.ops.quote_name
    stage, stage_categories = quote("dashboards_stage_rows"), quote(CATEGORIES)
    staging = [(stage, staged)]
    if grain is REPORTS:  # (the persons', of the same reports, read them)
        categories = (
            ReportItem.objects.filter(report_id__in=rows.values(report_path), commodity_category__isnull=False)
            .values("report_id", k_category=F("commodity_category__code"))
            .distinct()
            .order_by()
        )
        staging.append((stage_categories, categories))
    stage_multi = quote("dashboards_stage_multi")
    # With the places staged, the route roles' countries are read from them, not from the route again.
    route_roles = {name: grain.dimensions[name].route_role for name in multi}
    from_places = {name: role for name, role in route_roles.items() if role is not None and by_place}
    if multi:
        queried = [grain.dimensions[name] for name in sorted(multi) if name not in from_places]
        if not queried:  # (every multi-valued dimension a route role's: no query to stage them with)
            raise NotImplementedError("A fill needs a multi-valued dimension that is not a route role's.")
        staging.append((stage_multi, _multi_values(rows, queried)))
    measures = ", ".join(measures_sql.values())
    per_category = f"JOIN {stage_categories} c ON c.{quote('report_id')} = s.{quote('s_report')}"
    at_place = f"JOIN {quote(PLACES)} p ON p.{quote('s_report')} = s.{quote('s_report')}"

    def insert(model: type[models.Model], dimensions: Sequence[str] | None, *, category: str, place: bool) -> None:
        """One ``INSERT ... SELECT ... GROUP BY``: the keys, the category (the grain's own among the keys: ''; '*';
        'c': per category of the report's items), the place if ``place``, then dimension, value and measures: of
        the single-valued ``dimensions``, or (None) of the multi-valued dimensions' staged rows."""
        names = [("region_id" if name == "administration_id" else name) for name in key_names] if place else key_names
        selected = [f"s.{quote('k_' + name)}" for name in names]
        params: list[Any] = []
        joins = []
        if category == "*":
            selected.append("%s")
            params.append(ALL_CATEGORIES)
        elif category == "c":
            selected.append(f"c.{quote('k_category')}")
            joins.append(per_category)
        if place:
            selected.append(f"p.{quote('s_place')}")
            joins.append(at_place)
        columns = [*names, *(["category"] if category else []), *(["place"] if place else []), "dimension", "value"]
        table = f"INSERT INTO {_target(model, targets)} ({', '.join(quote(c) for c in [*columns, *measures_sql])})"
        keys = ", ".join(str(position) for position in range(1, len(columns) - 1))
        # Names from the models and this module's constants; the values are parameters.
        if dimensions is None:
            cursor.execute(
                f"{table} SELECT {', '.join(selected)}, d.dimension, d.value, {measures} "  # noqa: S608
                f"FROM {stage} s {' '.join(joins)} "
                f"JOIN {stage_multi} d ON d.{quote('s_report')} = s.{quote('s_report')} "
                f"GROUP BY {keys}, d.dimension, d.value",
                params,
            )
            return
        # The single-valued dimensions in one pass over the staged rows: a grouping set per dimension (PostgreSQL
        # keeps a hash table per set), a row's dimension the one its set groups by, its value that dimension's (the
        # others' are NULL in it); a NULL value is no row. Twice as fast as unpivoting each staged row into one per
        # dimension and grouping those (0.40 s against 0.80 s for the 105,871 places of a month's 23,021 reports).
        columns_of_sets = [f"s.{quote('v_' + name)}" for name in dimensions]
        dimension = "CASE " + " ".join(f"WHEN GROUPING({column}) = 0 THEN %s" for column in columns_of_sets) + " END"
        cursor.execute(
            f"{table} SELECT * FROM ("  # noqa: S608
            f"SELECT {', '.join(selected)}, {dimension} AS dimension, COALESCE({', '.join(columns_of_sets)}) AS value, "
            f"{measures} FROM {stage} s {' '.join(joins)} "
            f"GROUP BY {keys}, GROUPING SETS ({', '.join(f'({column})' for column in columns_of_sets)})"
            ") AS g WHERE g.value IS NOT NULL",
            [*params, *dimensions],
        )

    with connection.cursor() as cursor:
        for name, queryset in staging:
            sql, params = queryset.query.sql_with_params()
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
            cursor.execute(f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS {sql}", params)
            if name == stage_multi:
                for dimension, role in from_places.items():
                    _multi_from_places(cursor, stage_multi, dimension=dimension, role=role)
            cursor.execute(f"ANALYZE {name}")
            if name == stage and by_place and grain is REPORTS:
                _stage_places(cursor, stage)  # (the multi-valued dimensions' rows may read them)
        own = ["*", "c"] if grain.by_report_category else [""]
        kinds: list[Sequence[str] | None] = [*([list(single)] if single else []), *([None] if multi else [])]
        if by_administration:
            for category in own:
                for dimensions in kinds:
                    insert(grain.model, dimensions, category=category, place=False)
        if by_place:
            assert grain.region_model is not None  # noqa: S101 - by_place says it has one
            for dimensions in kinds:
                insert(grain.region_model, dimensions, category=own[0], place=True)
            if grain.by_report_category:
                insert(grain.region_model, ["total"], category="c", place=True)
        if largest:
            _fill_largest(cursor, stage, _target(LargestItem, targets))
        dropped = [f"pg_temp.{name}" for name, _ in staging if name != stage_categories]  # (the categories are kept)
        cursor.execute(f"DROP TABLE {', '.join(dropped)}")


PLACES = "dashboards_stage_places"
CATEGORIES = "dashboards_stage_categories"


def _stage_places(cursor: Any, stage: str) -> None:
    """The temporary table of the places of the staged reports (rows s_report, s_place): each route country with its
    role ('departure:TR') and the country of seizure ('seizure:FR'). Read from the reports' staged rows, which the
    planner knows the size of (a join into the route's index rather than a scan of every route step)."""
    quote = connection.ops.quote_name
    route = RouteCountry._meta
    columns = {field.name: quote(field.column) for field in route.concrete_fields}
    role, country, report = columns["role"], columns["country"], columns["report"]
    table = quote(PLACES)
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
    # Names from the models and this module's constants; the values are parameters.
    cursor.execute(
        f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS "  # noqa: S608
        f"SELECT DISTINCT r.{report} AS {quote('s_report')}, r.{role} || %s || r.{country} AS {quote('s_place')} "
        f"FROM {quote(route.db_table)} r JOIN {stage} s ON s.{quote('s_report')} = r.{report}",
        [":"],
    )
    cursor.execute(
        f"INSERT INTO {table} SELECT s.{quote('s_report')}, %s || s.{quote('v_country_of_seizure')} "  # noqa: S608
        f"FROM {stage} s",
        ["seizure:"],
    )
    cursor.execute(f"ANALYZE {table}")


def _multi_from_places(cursor: Any, stage_multi: str, *, dimension: str, role: str) -> None:
    """The rows of a route role's dimension (``Dimension.route_role``) into the multi-valued dimensions' staged rows,
    read from the staged places: their distinct countries in that role, per report (0.2 s a month less than
    reading the route again)."""
    quote = connection.ops.quote_name
    prefix = f"{role}:"
    # Names from this module's constants; the values are parameters.
    cursor.execute(
        f"INSERT INTO {stage_multi} ({quote('s_report')}, {quote('dimension')}, {quote('value')}) "  # noqa: S608
        f"SELECT {quote('s_report')}, %s, substr({quote('s_place')}, %s) FROM {quote(PLACES)} "
        f"WHERE left({quote('s_place')}, %s) = %s",
        [dimension, len(prefix) + 1, len(prefix), prefix],
    )


def _drop_kept() -> None:
    """Drop the tables the reports' fill staged for the grains after it (:func:`_fill_staged`)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{quote(PLACES)}, pg_temp.{quote(CATEGORIES)}")


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


# How many of a bucket's largest items are kept per state, operation, category and unit family.
LARGEST_KEPT = 10
LARGEST_COLUMNS = ("month", "administration_id", "state", "operation_key", "category", "unit_family", "item_id",
                   "report_id", "quantity")  # fmt: skip
# The keys its ranks are counted within (the first of its columns).
LARGEST_PARTITION = LARGEST_COLUMNS[:6]


def _fill_largest(cursor: Any, stage: str, table: str) -> None:
    """The largest ``LARGEST_KEPT`` of the staged items (with a normalised quantity) per bucket, state, operation,
    category and unit family, into :class:`LargestItem`: ranked over the items' staged rows, which have every key
    (0.13 s against 0.68 s for a month's items ranked over the items, reports and categories again)."""
    quote = connection.ops.quote_name
    partition = ", ".join(quote("k_" + name) for name in LARGEST_PARTITION)
    item, report, quantity, rank = (quote(name) for name in ("s_item", "s_report", "m_quantity", "rank"))
    # Names from the models and this module's constants; the value is a parameter.
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(quote(c) for c in LARGEST_COLUMNS)}) "  # noqa: S608
        f"SELECT {partition}, {item}, {report}, {quantity} FROM ("
        f"SELECT *, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {quantity} DESC, {item}) AS {rank} "
        f"FROM {stage} WHERE {quantity} IS NOT NULL) AS ranked WHERE {rank} <= %s",
        [LARGEST_KEPT],
    )


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


# The advisory lock classes of a region's month of region-wide rows: at any place (the roll-up of a bucket's
# recompute) and per place (:func:`places_recompute`). Two recomputes of one region and month at once would each
# delete, then insert, the same rows; the two kinds touch different rows.
_ROLL_UP_LOCK, _PLACES_LOCK = 1, 2


def _region_month_lock(kind: int, *, month: dt.date, region_id: int) -> None:
    """The lock of ``kind`` on a region's month until this transaction ends: one 64-bit key (kind, region, month
    packed without overlap), a key space apart from the months' two 32-bit keys."""
    if not (0 < region_id < 1 << 30 and 0 <= _month_index(month) < 1 << 20):
        raise ValueError(f"No lock key for region {region_id}, month {month}.")
    key = (kind << 50) | (region_id << 20) | _month_index(month)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s::bigint)", [key])


def _month_rows(grain: Grain, month: dt.date) -> dict[str, Any]:
    p = grain.prefix
    return {f"{p}seizure_date__gte": month, f"{p}seizure_date__lt": month_after(month)}


@transaction.atomic
def bucket_recompute(*, month: dt.date, administration_id: int) -> None:
    """Replace the summary rows of one bucket (a seizure month of an administration), and the region-wide rows of
    its region's month at any place, with those the reports give now; mark the region's month for its rows per
    place (:func:`places_recompute`, in a transaction of its own). Idempotent: the same reports give the same
    rows, however often it runs."""
    month_lock(month, shared=True)
    _replace(month=month, administration_id=administration_id)
    region_id = Administration.objects.filter(pk=administration_id).values_list("region_id", flat=True).first()
    if region_id is not None:
        _region_month_lock(_ROLL_UP_LOCK, month=month, region_id=region_id)
        _roll_up(month=month, region_id=region_id)
        now = timezone.now()
        DirtyPlaces.objects.bulk_create(
            [DirtyPlaces(month=month, region_id=region_id, first_marked_at=now, marked_at=now)],
            update_conflicts=True,
            unique_fields=["month", "region"],
            update_fields=["marked_at"],
        )


@transaction.atomic
def places_recompute(*, month: dt.date, region_id: int) -> None:
    """Replace the region-wide rows per place of a region's month with those its reports give now. Idempotent."""
    month_lock(month, shared=True)
    _region_month_lock(_PLACES_LOCK, month=month, region_id=region_id)
    _fill_settings()
    regional = [grain for grain in GRAINS if grain.region_model is not None]
    scopes = [g.region_model._default_manager.filter(month=month, region_id=region_id).exclude(place="")
              for g in regional if g.region_model is not None]  # fmt: skip
    with changed_only(scopes) as targets:
        for grain in regional:
            region = {f"{grain.prefix}administration__region_id": region_id}
            rows = grain.counted().filter(**_month_rows(grain, month), **region)
            _fill_staged(grain, rows, targets, by_administration=False, places=True)
    _drop_kept()


@transaction.atomic  # the fill's settings and the tables the reports' fill stages for the others live until its end
def _replace(*, month: dt.date, administration_id: int | None) -> None:
    """Bring the summary rows of a month (of one administration, or of all: then the region-wide rows too) to what
    the reports give now (by what changed: :mod:`apps.dashboards.writes`)."""
    _fill_settings()
    places = administration_id is None
    stored: dict[str, Any] = {"month": month}
    if administration_id is not None:
        stored["administration_id"] = administration_id
    per_administration: list[type[models.Model]] = [*(grain.model for grain in GRAINS), LargestItem]
    scopes = [model._default_manager.filter(**stored) for model in per_administration]
    if places:  # (the rows at any place are the roll-up's)
        scopes += [g.region_model._default_manager.filter(month=month).exclude(place="")
                   for g in GRAINS if g.region_model is not None]  # fmt: skip
    with changed_only(scopes) as targets:
        for grain in GRAINS:
            bucket = _month_rows(grain, month)
            if administration_id is not None:
                bucket[f"{grain.prefix}administration_id"] = administration_id
            _fill_staged(grain, grain.counted().filter(**bucket), targets, places=places, largest=grain is ITEMS)
    _drop_kept()
    if places:
        _roll_up(month=month, region_id=None)


def _roll_up(*, month: dt.date, region_id: int | None) -> None:
    """Replace the region-wide rows at any place ('') of a month (of one region, or of all) with the sums of its
    administrations' rows: every measure is a sum over reports, items or persons, each of one administration, so
    the sums are what a count over the region's reports gives."""
    regional = [grain for grain in GRAINS if grain.region_model is not None]
    region = {} if region_id is None else {"region_id": region_id}
    scopes = [g.region_model._default_manager.filter(month=month, place="", **region)
              for g in regional if g.region_model is not None]  # fmt: skip
    with changed_only(scopes) as targets:
        for grain in regional:
            assert grain.region_model is not None  # noqa: S101 - regional
            rows = grain.model._default_manager.filter(month=month)
            if region_id is not None:
                rows = rows.filter(administration__region_id=region_id)
            keys = [*REGION_COLUMNS, *grain.extra_keys()]
            summed = rows.values(*keys, k_region=F("administration__region_id"), k_place=Value("", output_field=TEXT))
            summed = summed.annotate(**{f"m_{name}": Sum(name) for name in grain.measures()})
            columns = [*keys, "region_id", "place", *grain.measures()]
            _insert_into(grain.region_model, summed.order_by(), columns, targets)


# The key columns of a region-wide row, in the order its roll-up selects them (then the grain's own keys, the region,
# the place and the measures).
REGION_COLUMNS = ("month", "state", "operation_key", "category", "dimension", "value")


def summary_months() -> list[dt.date]:
    """Every seizure month that has counted reports or summary rows (what a full rebuild goes through), those with
    the most reports first: the months rebuilt at once end together, rather than one large month alone."""
    counted = REPORTS.counted().annotate(m=TruncMonth("seizure_date", output_field=models.DateField()))
    sizes = dict(counted.values_list("m").annotate(n=models.Count("pk")).order_by())
    months = set(sizes)
    # A largest item's month has the item's summary rows too: LargestItem need not be read.
    for model in (*(grain.model for grain in GRAINS), *(g.region_model for g in GRAINS if g.region_model)):
        months |= set(model._default_manager.values_list("month", flat=True).distinct().order_by())
    return sorted(months, key=lambda month: (-sizes.get(month, 0), month))


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


def region_totals_differing() -> set[tuple[dt.date, int]]:
    """The regions' months whose region-wide reports at any place differ from the sums of their administrations'
    (per state): rows a lost roll-up left behind."""
    stored = {
        (row["month"], row["region_id"], row["state"]): row["n"]
        for row in RegionReportSummary.objects.filter(place="", dimension="total", category=ALL_CATEGORIES)
        .values("month", "region_id", "state")
        .annotate(n=Sum("reports"))
        .order_by()
    }
    summed = {
        (row["month"], row["region"], row["state"]): row["n"]
        for row in ReportSummary.objects.filter(dimension="total", category=ALL_CATEGORIES)
        .values("month", "state", region=F("administration__region_id"))
        .annotate(n=Sum("reports"))
        .order_by()
    }
    return {key[:2] for key in stored.keys() | summed.keys() if stored.get(key, 0) != summed.get(key, 0)}


# The summary tables, largest first (the region-wide ones, then those per administration).
SUMMARY_MODELS: tuple[type[models.Model], ...] = (
    RegionReportSummary, RegionItemSummary, *(grain.model for grain in GRAINS), LargestItem
)  # fmt: skip


def orphans_delete(*, administration_ids: set[int], region_ids: set[int]) -> int:
    """Delete the summary rows of those of ``administration_ids`` that no longer exist, and the region-wide rows of
    those of ``region_ids`` that have no administration (rows left by a deletion that was not the ORM's: the tables
    have no constraint, DERIVED_ROWS in models.py); how many. The ids are those the reconciliation read: nothing is
    scanned when none is gone."""
    gone = administration_ids - set(
        Administration.objects.filter(pk__in=administration_ids).values_list("pk", flat=True)
    )
    empty = region_ids - set(
        Administration.objects.filter(region_id__in=region_ids).values_list("region_id", flat=True)
    )
    deleted = 0
    for model in SUMMARY_MODELS if gone or empty else ():
        manager = model._default_manager
        if model in (RegionReportSummary, RegionItemSummary):
            deleted += manager.filter(region_id__in=empty).delete()[0] if empty else 0
        elif gone:
            deleted += manager.filter(administration_id__in=gone).delete()[0]
    return deleted


def summary_vacuum(model: type[models.Model]) -> None:
    """``VACUUM (ANALYZE)`` a summary table, outside any transaction: after a full rebuild, so that reads walk no
    replaced row versions (of the rows that changed) and are planned for the new figures (what autovacuum would do
    in its own time, done at once; the ORM has no way to say it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
