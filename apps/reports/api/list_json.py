"""The API's list of reports as JSON built by PostgreSQL: one query whatever the page size, and no model instance.

It stays because it earns its place: with ordinary serializers over select_related/prefetch_related querysets,
the api benchmark's page of 100 reports took 19 queries instead of 5 (the bound is 8), and in two of three
alternating runs served far fewer requests per second (0.7 against 3.7, 12.0 against 25.3; once 3.8 against
2.8, on a busy shared machine). Its columns are the field catalogue's (apps.reports.catalogue), in the
serializers' declared order.

Per report of the page, PostgreSQL writes its representation as JSON text in its final form, key for key in
the serializers' declared order: terms as their codes (a probe of a small vocabulary's primary key each),
date-times as DRF writes them, personal values as null, the parties as their profiles (with the nationality,
sex and age band only where the caller may see the report's personal data: see :func:`reports_as_json`);
beside it, the columns cursor pages are keyed on. :func:`page_json` joins the texts of a page into the
list's ``results`` without parsing them: Python never builds nor re-encodes the page's values (that was
two fifths of a page's time in Django). tests/reports/api check that a listed report is exactly the report
its own page shows to a caller who may not see personal data, and that its parties are the profiles its
page shows to one who may.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Case, F, Func, JSONField, Model, OuterRef, QuerySet, Subquery, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, NullIf
from rest_framework.serializers import Serializer

from apps.core.actor import Actor
from apps.core.caches import process_cache_register
from apps.tenancy.models import Administration

from .. import catalogue
from ..choices import PartyKind
from ..models import Conveyance, Party, Report, ReportItem, RouteCountry
from ..profiles import age_band_sql
from ..selectors import reports_with_personal_data
from .serializers import ConveyanceSerializer, ItemSerializer, PartySerializer, ReportSerializer, RouteStepSerializer


class JSONBuildObject(Func):
    """``json_build_object``: keys in the order given (jsonb would sort them), and cheaper to build."""

    function = "JSON_BUILD_OBJECT"
    output_field = JSONField()

    def __init__(self, **fields: Any) -> None:
        super().__init__(*(part for key, value in fields.items() for part in (Cast(Value(key), TextField()), value)))


_TERM_KINDS = ("term", "hs_code", "operation")  # foreign keys to a model with a code
# The values a list loads per report: the cursor's keys and its representation (without its parties, the last key).
LIST_VALUES = ("id", "seizure_date", "submitted_at", "national_reference", "representation")
NULL = Value(None)


def _text(name: str) -> Cast:
    return Cast(name, TextField())  # decimals as their exact digits, uuids as text: as the API writes them


def _moment(name: str) -> Func:
    """A date-time as DRF writes it in UTC (the project's time zone): ISO 8601, microseconds only when not zero,
    ``Z`` for the offset."""
    template = (
        "(REPLACE(TO_CHAR(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || 'Z')"
    )
    return Func(F(name), template=template, output_field=TextField())


def _code(model: type[Model], name: str) -> Subquery:
    """The code of the term the foreign key ``name`` of ``model`` names (vocabularies are small: an index probe,
    with no ORDER BY for the planner to sort a row by)."""
    term = model._meta.get_field(name).related_model
    return Subquery(term.objects.filter(pk=OuterRef(f"{name}_id")).order_by().values("code"))  # type: ignore[union-attr]


def _country(name: str) -> NullIf:
    return NullIf(name, Value(""))


def _ordered(serializer: type[Serializer[Any]], **expressions: Any) -> JSONBuildObject:
    """The JSON object of ``serializer``'s representation: its declared keys in order, each from its expression,
    else from the column of that name."""
    return JSONBuildObject(**{name: expressions.get(name, F(name)) for name in serializer._declared_fields})


def _json_array(queryset: QuerySet[Any], value: Any) -> Func:
    """The rows of ``queryset`` that belong to the outer report, as one JSON array of ``value``."""
    rows = ArraySubquery(queryset.filter(report_id=OuterRef("pk")).values(value=value))
    return Func(rows, function="array_to_json", output_field=JSONField())


def _columns(part: str) -> dict[str, Any]:
    """How the list's JSON takes each catalogue field of ``part`` from its row, where not by its own name: terms as
    codes, decimals and uuids as text, date-times as DRF writes them, blank countries as null, restricted personal
    values as null."""
    expressions: dict[str, Any] = {}
    for spec in catalogue.fields(part, editable=None):
        if spec.restricted:
            expressions[spec.name] = NULL
        elif spec.kind in _TERM_KINDS:
            expressions[spec.name] = _code(catalogue.part(part).model, spec.name)
        elif spec.kind in ("decimal", "uuid"):
            expressions[spec.name] = _text(spec.name)
        elif spec.kind == "datetime":
            expressions[spec.name] = _moment(spec.name)
        elif spec.kind == "country":
            expressions[spec.name] = _country(spec.name)
    return expressions


def _parties(*, person_attributes: bool) -> Func:
    """The report's parties as :class:`PartySerializer` shows them in a list: their profiles (see
    apps.reports.profiles), with nationality, sex and age band at the seizure for persons if
    ``person_attributes``, else without; no personal value."""
    person: dict[str, Any] = {"nationality": _country("nationality"), "sex": NullIf("sex", Value(""))}
    person["age_band"] = age_band_sql(F("birth_date"), on=OuterRef("seizure_date"))
    attributes = {
        name: Case(When(kind=PartyKind.PERSON, then=value), output_field=TextField()) if person_attributes else NULL
        for name, value in person.items()
    }
    profile = {"position": F("position"), "kind": F("kind"), "role": F("role"), **attributes}
    row = _ordered(PartySerializer, **{name: profile.get(name, NULL) for name in PartySerializer._declared_fields})
    return _json_array(Party.objects.order_by("position", "pk"), row)


def _representation() -> JSONBuildObject:
    """What a list shows of a report (see above), but its parties."""
    methods = Report.detection_methods.through.objects.order_by("pk")
    expressions = dict(
        **_columns("report"),
        administration=Subquery(
            Administration.objects.filter(pk=OuterRef("administration_id"))
            .order_by()
            .values(value=JSONBuildObject(code=F("code"), name=F("name"), country=F("country")))
        ),
        duplicate_of=Subquery(
            Report.objects.filter(pk=OuterRef("duplicate_of_id")).order_by().values(value=_text("uuid"))
        ),
        detection_methods=_json_array(methods, F("detectionmethod__code")),
        personal_data=Value(False),
        items=_json_array(ReportItem.objects.order_by("position", "pk"), _ordered(ItemSerializer, **_columns("item"))),
        route=_json_array(
            RouteCountry.objects.order_by("sequence"), _ordered(RouteStepSerializer, **_columns("route"))
        ),
        conveyances=_json_array(
            Conveyance.objects.order_by("pk"), _ordered(ConveyanceSerializer, **_columns("conveyance"))
        ),
    )
    keys = list(ReportSerializer._declared_fields)
    assert keys[-1] == "parties", "page_json() appends the parties last"  # noqa: S101 - a declaration's shape
    return JSONBuildObject(**{name: expressions.get(name, F(name)) for name in keys[:-1]})


@cache
def compiled_sql() -> dict[str, tuple[str, tuple[Any, ...]]]:
    """The SQL of a report's list representation and of its parties' two JSON texts (see above), compiled once:
    building and compiling them cost more than running them. They refer to the report's own columns only (their
    joins are subqueries), so they hold in any query over the report table."""
    annotations = {
        "representation": _representation(),
        "parties_bare": _parties(person_attributes=False),
        "parties_full": _parties(person_attributes=True),
    }
    query = Report.objects.annotate(**{name: Cast(value, TextField()) for name, value in annotations.items()}).query
    compiler = query.get_compiler(DEFAULT_DB_ALIAS)
    return {
        name: (sql, tuple(params))
        for name in annotations
        for sql, params in [compiler.compile(query.annotations[name])]
    }


process_cache_register("reports.api.list_json.compiled_sql", compiled_sql.cache_clear)


def reports_as_json(user: Actor) -> QuerySet[Any]:
    """The reports ``user`` may see (restrict(user, "view"), its condition compiled once per user position), as rows
    of LIST_VALUES and ``parties_shown``: the JSON text of the report's parties with the person attributes if ``user``
    may see its personal data, else without. That right is decided in the query, row by row, where it can be said
    on the report's own columns (an administration's staff, grants); else (a region's staff) both texts come, and
    :func:`page_json` is told which reports have it (one query for the page). Each request narrows it further
    with the filters and the page's bounds."""
    compiled = compiled_sql()
    sql, params = compiled["representation"]
    reports = Report.objects.restrict_compiled(user, "view").annotate(
        representation=RawSQL(sql, params, TextField())  # noqa: S611 - compiled by the ORM, no input
    )
    personal = Report.objects.restrict_condition(user, "view_personal_data")
    (full, full_params), (bare, bare_params) = compiled["parties_full"], compiled["parties_bare"]
    if personal is None:
        return reports.annotate(
            parties_full=RawSQL(full, full_params, TextField()),  # noqa: S611 - compiled by the ORM, no input
            parties_bare=RawSQL(bare, bare_params, TextField()),  # noqa: S611 - compiled by the ORM, no input
        ).values(*LIST_VALUES, "parties_full", "parties_bare")
    condition, condition_params = personal
    allowed = RawSQL(  # noqa: S611 - compiled by the ORM, no input
        f"CASE WHEN {condition} THEN {full} ELSE {bare} END", (*condition_params, *full_params, *bare_params)
    )
    return reports.annotate(parties_shown=allowed).values(*LIST_VALUES, "parties_shown")


def page_json(rows: Sequence[dict[str, Any]], *, user: Actor) -> orjson.Fragment:
    """The list's ``results``: the reports' representations as PostgreSQL wrote them, each closed with its
    parties (see :func:`reports_as_json`), joined as they are: a JSON array, embedded as such in the answer."""
    if rows and "parties_shown" not in rows[0]:  # the personal-data right could not be said in the query
        personal = reports_with_personal_data(user=user, report_ids=[row["id"] for row in rows])
        rows = [
            {**row, "parties_shown": row["parties_full" if row["id"] in personal else "parties_bare"]} for row in rows
        ]
    reports = [f'{row["representation"][:-1]}, "parties" : {row["parties_shown"]}}}' for row in rows]
    return orjson.Fragment(f"[{','.join(reports)}]")
