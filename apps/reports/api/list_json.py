"""The API's list of reports as JSON built by PostgreSQL: one query whatever the page size, and no model instance.

It stays because it earns its place: with ordinary serializers over select_related/prefetch_related querysets,
the api benchmark's page of 100 reports took 19 queries instead of 5 (the bound is 8), and in two of three
alternating runs served far fewer requests per second (0.7 against 3.7, 12.0 against 25.3; once 3.8 against
2.8, on a busy shared machine). Its columns are the field catalogue's (apps.reports.catalogue), in the
serializers' declared order.

Per report of the page, its representation as PostgreSQL builds it in JSON, key for key in the
serializers' declared order (the rows of its parts as arrays of values in that order); terms appear
there as their codes (a probe of a small vocabulary's primary key each), personal values as null,
parties as the columns their non-personal profiles are derived from (lists carry no personal data);
beside it, the columns cursor pages are keyed on. :func:`parsed` turns the parts' rows back into
objects. tests/reports/api check that a listed report is exactly the report its own page shows to a
caller who may not see personal data.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, Func, JSONField, Model, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, NullIf
from rest_framework.serializers import Serializer

from apps.core.caches import process_cache_register
from apps.tenancy.models import Administration

from .. import catalogue
from ..models import Conveyance, Report, ReportItem, RouteCountry
from ..querysets import ReportQuerySet
from ..selectors import party_profile_rows
from .serializers import ConveyanceSerializer, ItemSerializer, ReportSerializer, RouteStepSerializer


class JSONBuildObject(Func):
    """``json_build_object``: keys in the order given (jsonb would sort them), and cheaper to build."""

    function = "JSON_BUILD_OBJECT"
    output_field = JSONField()

    def __init__(self, **fields: Any) -> None:
        super().__init__(*(part for key, value in fields.items() for part in (Cast(Value(key), TextField()), value)))


_TERM_KINDS = ("term", "hs_code", "operation")  # foreign keys to a model with a code
LIST_VALUES = ("id", "seizure_date", "submitted_at", "national_reference", "representation")
NULL = Value(None)


def _text(name: str) -> Cast:
    return Cast(name, TextField())  # decimals as their exact digits, uuids as text: as the API writes them


def _code(model: type[Model], name: str) -> Subquery:
    """The code of the term the foreign key ``name`` of ``model`` names (vocabularies are small: an index probe)."""
    term = model._meta.get_field(name).related_model
    return Subquery(term.objects.filter(pk=OuterRef(f"{name}_id")).values("code"))  # type: ignore[union-attr]


def _country(name: str) -> NullIf:
    return NullIf(name, Value(""))


def _ordered(serializer: type[Serializer[Any]], **expressions: Any) -> JSONBuildObject:
    """The JSON object of ``serializer``'s representation: its declared keys in order, each from its expression,
    else from the column of that name."""
    return JSONBuildObject(**{name: expressions.get(name, F(name)) for name in serializer._declared_fields})


def _values(serializer: type[Serializer[Any]], **expressions: Any) -> Func:
    """The values of ``serializer``'s representation as a JSON array, in the order of its declared keys (as
    :func:`_ordered`): for the many rows of parts, a third cheaper to build, parse and send than objects."""
    values = [expressions.get(name, F(name)) for name in serializer._declared_fields]
    return Func(*values, function="JSON_BUILD_ARRAY", output_field=JSONField())


def _json_array(queryset: QuerySet[Any], value: Any) -> Func:
    """The rows of ``queryset`` that belong to the outer report, as one JSON array of ``value``."""
    rows = ArraySubquery(queryset.filter(report_id=OuterRef("pk")).values(value=value))
    return Func(rows, function="array_to_json", output_field=JSONField())


def _columns(part: str) -> dict[str, Any]:
    """How the list's JSON takes each catalogue field of ``part`` from its row, where not by its own name: terms as
    codes, decimals and uuids as text, blank countries as null, restricted personal values as null."""
    expressions: dict[str, Any] = {}
    for spec in catalogue.fields(part, editable=None):
        if spec.restricted:
            expressions[spec.name] = NULL
        elif spec.kind in _TERM_KINDS:
            expressions[spec.name] = _code(catalogue.part(part).model, spec.name)
        elif spec.kind in ("decimal", "uuid"):
            expressions[spec.name] = _text(spec.name)
        elif spec.kind == "country":
            expressions[spec.name] = _country(spec.name)
    return expressions


def _representation() -> JSONBuildObject:
    """What a list shows of a report (see above)."""
    methods = Report.detection_methods.through.objects.order_by("pk")
    return _ordered(
        ReportSerializer,
        **_columns("report"),
        administration=Subquery(
            Administration.objects.filter(pk=OuterRef("administration_id")).values(
                value=JSONBuildObject(code=F("code"), name=F("name"), country=F("country"))
            )
        ),
        duplicate_of=Subquery(Report.objects.filter(pk=OuterRef("duplicate_of_id")).values(value=_text("uuid"))),
        detection_methods=_json_array(methods, F("detectionmethod__code")),
        personal_data=Value(False),
        items=_json_array(ReportItem.objects.order_by("position", "pk"), _values(ItemSerializer, **_columns("item"))),
        route=_json_array(RouteCountry.objects.order_by("sequence"), _values(RouteStepSerializer, **_columns("route"))),
        conveyances=_json_array(
            Conveyance.objects.order_by("pk"), _values(ConveyanceSerializer, **_columns("conveyance"))
        ),
        parties=party_profile_rows(),
    )


@cache
def reports_as_json() -> ReportQuerySet:
    """Every report, annotated with its list representation as JSON text (see above; parsed by orjson, faster
    than psycopg's json.loads). Built once, and its SQL compiled once: building and compiling it cost more than
    running it. It refers to the report's own columns only (its joins are subqueries), so the compiled SQL
    holds in any query over the report table; each request narrows a copy with restrict() and the filters,
    then takes the values."""
    representation = Cast(_representation(), TextField())
    query = Report.objects.annotate(representation=representation).query
    sql, params = query.get_compiler(DEFAULT_DB_ALIAS).compile(query.annotations["representation"])
    annotated = Report.objects.annotate(representation=RawSQL(sql, params, TextField()))  # noqa: S611 - compiled above, no input
    return cast(ReportQuerySet, annotated)


process_cache_register("reports.api.list_json.reports_as_json", reports_as_json.cache_clear)


_PART_KEYS = {
    part: tuple(serializer._declared_fields)
    for part, serializer in (
        ("items", ItemSerializer),
        ("route", RouteStepSerializer),
        ("conveyances", ConveyanceSerializer),
    )
}


def parsed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parse each report's representation, the rows of its parts back into objects (keys in declared order)."""
    for row in rows:
        report = row["representation"] = orjson.loads(row["representation"])
        for part, keys in _PART_KEYS.items():  # rows of values, in the keys' order
            report[part] = [dict(zip(keys, values, strict=True)) for values in report[part]]
    return rows
