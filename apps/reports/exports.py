"""Exports of a report list (CSV and XLSX): exactly the rows the user sees with the current filters.

Rows are read as plain values, one query streamed through a server-side cursor: each column is an
expression over the report (its own fields by their catalogue kind; its items, detection methods and
conveyances aggregated in correlated subqueries), so Python only formats and writes cells. The same
SELECT is what :func:`export_rows_sql` gives (the benchmark copies it with ``COPY … TO STDOUT`` as the
bound on what an export can reach).

Personal columns (modus operandi, concealment details, conveyance identifiers) appear only for users
holding the personal-data capability, and are filled only on the rows where they may see personal data.
Every cell a spreadsheet could take for a formula is neutralised with a leading apostrophe; the XLSX
file holds text cells only, never a formula.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.db import connections, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Collate, Concat, NullIf
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.xlsx import xlsx_chunks

from . import catalogue, sql
from .models import Conveyance, Report

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows fetched from the server-side cursor at a time.
CHUNK_ROWS = 2000


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


@dataclass(frozen=True)
class Column:
    """One column: its header and the SQL expression of its value, as text (or, with ``text``, a value Python
    writes as text: a time stamp's ISO form has no exact equal in PostgreSQL's formats)."""

    header: str | Promise
    expression: Callable[[], Any]
    text: Callable[[Any], str] | None = None


def _as_text(name: str) -> Cast:
    return Cast(name, TextField())


def _distinct(path: str) -> StringAgg:
    """The distinct non-empty values of ``path``, sorted by code point (as Python sorts text), joined with "; "."""
    # The empty string is written into the SQL, not passed as a parameter: PostgreSQL must see the ORDER BY
    # expression as the very argument of the DISTINCT aggregate.
    value = Collate(Func(Cast(path, TextField()), template="NULLIF(%(expressions)s, '')"), "C")
    return StringAgg(value, "; ", distinct=True, order_by=value)


def _distinct_of_rows(model: type[Any], path: str) -> Subquery:
    """:func:`_distinct` over the report's rows of ``model`` (a correlated subquery: a second list of rows joined
    beside the items would repeat each item once per row of it)."""
    joined = model.objects.filter(report_id=OuterRef("pk")).order_by().values("report_id")
    return Subquery(joined.annotate(joined=_distinct(path)).values("joined"), output_field=TextField())


def _term_label(path: str) -> Coalesce:
    """A vocabulary term's label in the current language (its English label when not translated)."""
    language = (get_language() or "en").split("-")[0]
    translated = NullIf(KeyTextTransform(language, f"{path}__translations"), Value(""), output_field=TextField())
    return Coalesce(translated, Cast(f"{path}__label", TextField()), output_field=TextField())


def _display(name: str, choices: Any) -> Case:
    """A choice field's label in the current language (resolved when the query is built)."""
    return Case(
        *(When(**{name: value}, then=Value(str(label))) for value, label in choices.choices),
        default=Value(""),
        output_field=TextField(),
    )


def _field_column(name: str) -> Column:
    """The column of the report field ``name`` of the catalogue: its label, and its text by its kind."""
    spec = catalogue.field("report", name)
    if spec.kind == "choice":
        return Column(spec.label, lambda: _display(name, spec.choices))
    if spec.kind == "datetime":
        return Column(spec.label, lambda: F(name), _iso)
    if spec.kind == "terms":
        through = getattr(Report, name).through
        target = getattr(Report, name).field.related_model._meta.model_name
        return Column(spec.label, lambda: _distinct_of_rows(through, f"{target}__label"))
    if spec.kind == "term":
        return Column(spec.label, lambda: _term_label(name))
    if spec.kind in ("operation", "administration"):
        return Column(spec.label, lambda: _as_text(f"{name}__name"))
    # text, integer, date (PostgreSQL writes a date as ISO 8601), uuid, country (its code)
    return Column(spec.label, lambda: _as_text(name))


def _fields(*names: str) -> tuple[Column, ...]:
    return tuple(_field_column(name) for name in names)


# The items' columns aggregate the items joined to the report (grouped by report), in the items' order.
_ITEM_ORDER = ("items__position", "items__pk")


def _items() -> StringAgg:
    """Each item as "<commodity type or category>: <quantity> <unit>", in the items' order."""
    what = Coalesce("items__commodity_type__label", "items__commodity_category__label", output_field=TextField())
    quantity = Cast(Func(F("items__quantity"), function="trim_scale"), TextField())
    item = Concat(what, Value(": "), quantity, Value(" "), "items__unit__code", output_field=TextField())
    return StringAgg(item, "; ", order_by=_ITEM_ORDER)


def _duplicate() -> Case:
    return Case(When(duplicate_of__isnull=False, then=Value("yes")), default=Value(""), output_field=TextField())


def _concealment() -> StringAgg:
    return StringAgg(NullIf("items__concealment_detail", Value("")), " | ", order_by=_ITEM_ORDER)


# The report's own columns are catalogue fields (headers are their labels); then what it holds of its items.
COLUMNS: tuple[Column, ...] = (
    *_fields(
        "uuid",
        "national_reference",
        "administration",
        "kind",
        "status",
        "version",
        "form_variant",
        "seizure_date",
        "country_of_seizure",
        "customs_office",
        "place",
        "location_type",
        "direction",
        "transport_mode",
        "detection_methods",
    ),
    Column(gettext_lazy("Items"), _items),
    Column(gettext_lazy("HS codes"), lambda: _distinct("items__hs_code__code")),
    Column(gettext_lazy("Brands"), lambda: _distinct("items__brand")),
    Column(gettext_lazy("Duplicate"), _duplicate),
    *_fields("submitted_at"),
)
PERSONAL_COLUMNS: tuple[Column, ...] = (
    *_fields("modus_operandi"),
    Column(gettext_lazy("Concealment details"), _concealment),
    Column(gettext_lazy("Conveyance identifiers"), lambda: _distinct_of_rows(Conveyance, "identifier")),
)
_PERSONAL_FLAG = "export_personal"


def has_personal_columns(user: Actor) -> bool:
    """Whether an export by ``user`` carries the personal columns (the capability, whatever the rows)."""
    return user.has_perm("reports.view_personal_data_report")


def headers(*, user: Actor) -> list[str]:
    """The header row of an export by ``user``."""
    columns = COLUMNS + (PERSONAL_COLUMNS if has_personal_columns(user) else ())
    return [str(column.header) for column in columns]


def _ordering(reports: QuerySet[Report]) -> list[Any]:
    query = reports.query
    if query.order_by:
        return list(query.order_by)
    return list(Report._meta.ordering or ()) if query.default_ordering else []


def _values(*, user: Actor, reports: QuerySet[Report]) -> QuerySet[Report]:
    """The export's rows as plain values: the columns, then (for a personal export) whether the row's personal
    cells may be filled. The same rows, in the same order, as ``reports``."""
    personal = has_personal_columns(user)
    columns = COLUMNS + (PERSONAL_COLUMNS if personal else ())
    if any(getattr(annotation, "contains_aggregate", False) for annotation in reports.query.annotations.values()):
        # Grouped already (the review queue counts duplicate candidates): its rows, by key, in its order.
        rows = Report.objects.filter(pk__in=reports.order_by().values("pk")).order_by(*_ordering(reports))
    else:
        # Its own filters: PostgreSQL then joins the items of the chosen reports only (on 20,000 of 100,000
        # bench reports, the query ran in 0.58 s through a "pk IN (…)" of the same filters, 0.48 s directly).
        rows = reports.select_related(None).prefetch_related(None)
    names = [f"c{index}" for index in range(len(columns))]
    annotations: dict[str, Any] = {name: column.expression() for name, column in zip(names, columns, strict=True)}
    if personal:
        allowed = Report.objects.restrict(user, "view_personal_data").filter(pk=OuterRef("pk"))
        annotations[_PERSONAL_FLAG] = Exists(allowed)
        names.append(_PERSONAL_FLAG)
    return rows.annotate(**annotations).values_list(*names)


def export_rows_sql(*, user: Actor, reports: QuerySet[Report]) -> tuple[str, tuple[Any, ...]]:
    """The SELECT an export of ``reports`` by ``user`` runs (with its parameters), for ``COPY (…) TO STDOUT``."""
    sql, params = _values(user=user, reports=reports).query.sql_with_params()
    return sql, tuple(params)


def export_count(*, reports: QuerySet[Report], bound: int) -> int:
    """How many rows an export of ``reports`` has, counting no further than ``bound``."""
    return reports.order_by().values("pk")[:bound].count()


def _personal_reports(user: Actor, reports: QuerySet[Report]) -> dict[str, Any]:
    """Which exported reports' personal data the user may see (the rows whose personal cells are filled), for the
    audit event: who read which persons' data stays on record even if the download is cut short.

    Their uuids up to ``RILO_AUDIT_EXPORT_LIST_MAX`` and their exact count; beyond that bound the list is left out
    and ``personal_reports_truncated`` set: the event's filters and time say which reports they were.
    """
    bound = settings.RILO_AUDIT_EXPORT_LIST_MAX
    allowed = Report.objects.restrict(user, "view_personal_data").values("pk")
    exported = reports.order_by().values("pk")
    personal = Report.objects.filter(pk__in=exported).filter(pk__in=allowed)
    # Their count with the first of them, in one query (on 19,986 bench reports: 0.09 s, where reading the
    # list and then counting took 0.15 to 0.25 s).
    counted = personal.annotate(total=Window(Count("pk"))).order_by("pk").values_list("uuid", "total")
    found = list(counted[: bound + 1])
    count = found[0][1] if found else 0
    if count <= bound:
        return {"personal_reports": [str(uuid) for uuid, _ in found], "personal_reports_count": count}
    return {"personal_reports_truncated": True, "personal_reports_count": count}


def export_audit(*, user: Actor, reports: QuerySet[Report], filters: list[str], job: str | None = None) -> bool:
    """Record the export of ``reports`` by ``user`` (with the uuids of the reports whose personal columns it fills,
    those the user may see personal data of); whether it carries personal columns."""
    personal = has_personal_columns(user)
    detail: dict[str, Any] = {"personal_columns": personal, "filters": sorted(filters)}
    if job is not None:
        detail["job"] = job
    if personal:
        detail.update(_personal_reports(user, reports))
    audit_record(actor=user, action="report.export", detail=detail)
    return personal


@contextmanager
def _export_connection(database: str, *, hold: bool) -> Iterator[None]:
    """The export's settings on the connection, for the export's query only.

    Streamed to a browser, the query runs in a transaction (the server-side cursor is then not materialised
    whole before the first row, as Django's ``WITH HOLD`` cursor of autocommit is). A background job holds no
    transaction (``hold``): its progress must be seen while it runs; the settings are reset afterwards.
    """
    connection = connections[database]
    if not hold:
        with transaction.atomic(using=database), connection.cursor() as cursor:
            sql.export_settings(cursor, local=True)
            yield
        return
    with connection.cursor() as cursor:
        sql.export_settings(cursor, local=False)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            sql.export_settings_reset(cursor)


def export_cells(*, user: Actor, reports: QuerySet[Report], hold: bool = False) -> Iterator[list[str]]:
    """The cells of each exported row, as text: neutralised, personal cells blank where the user may not see the
    row's personal data. Not audited: see :func:`export_audit`. ``hold``: run outside a transaction (a job)."""
    personal = has_personal_columns(user)
    columns = COLUMNS + (PERSONAL_COLUMNS if personal else ())
    in_python = [(index, column.text) for index, column in enumerate(columns) if column.text is not None]
    starts = _FORMULA_STARTS
    blank = [""] * len(PERSONAL_COLUMNS)
    own = len(COLUMNS)
    rows = _values(user=user, reports=reports)
    with _export_connection(rows.db, hold=hold):
        for row in rows.iterator(chunk_size=CHUNK_ROWS):
            values: list[Any] = list(cast(tuple[Any, ...], row))
            for index, text in in_python:
                values[index] = text(values[index])
            if personal and not values.pop():  # the row's flag: may its personal cells be filled?
                values[own:] = blank
            yield ["" if value is None else "'" + value if value.startswith(starts) else value for value in values]


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(*, user: Actor, reports: QuerySet[Report]) -> Iterator[str]:
    """The CSV text of an export, a few hundred rows per piece (header first). Not audited."""
    buffer: list[str] = []
    writer = csv.writer(_Echo())
    yield writer.writerow(headers(user=user))
    for cells in export_cells(user=user, reports=reports):
        buffer.append(writer.writerow(cells))
        if len(buffer) >= 500:
            yield "".join(buffer)
            buffer.clear()
    if buffer:
        yield "".join(buffer)


def report_csv_lines(*, user: Actor, reports: QuerySet[Report], filters: list[str]) -> Iterator[str]:
    """The CSV lines of ``reports`` (already restricted and filtered); the export is audited when it starts."""
    export_audit(user=user, reports=reports, filters=filters)
    yield from csv_lines(user=user, reports=reports)


def xlsx_bytes(*, user: Actor, reports: QuerySet[Report]) -> Iterator[bytes]:
    """The XLSX file of an export, in pieces (headers first; text cells only). Not audited."""
    rows = itertools.chain([headers(user=user)], export_cells(user=user, reports=reports))
    return xlsx_chunks(rows, sheet_name=str(gettext_lazy("Reports")))


def report_xlsx_bytes(*, user: Actor, reports: QuerySet[Report], filters: list[str]) -> Iterator[bytes]:
    """The XLSX file of ``reports`` (already restricted and filtered); the export is audited when it starts."""
    export_audit(user=user, reports=reports, filters=filters)
    yield from xlsx_bytes(user=user, reports=reports)
