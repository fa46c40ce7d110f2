"""Exports of a report list (CSV and XLSX): exactly the rows the user sees with the current filters.

Rows are read as text, one query: each column is an expression over the report (its own fields by their
catalogue kind; its items, detection methods and conveyances aggregated in correlated subqueries). The CSV
is PostgreSQL's own: ``COPY (<the SELECT>) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)`` streamed as it comes
(its SELECT, :func:`export_rows_sql`, neutralises formulas and blanks personal cells itself; every non-empty
cell quoted); Python writes only the header, quoted alike. The XLSX file and a background job read the same
columns through a server-side cursor and apply the same rules in Python; a job's CSV is written as COPY
writes it (:func:`csv_line`), byte for byte.

Personal columns (modus operandi, concealment details, conveyance identifiers) appear only for users
holding the personal-data capability, and are filled only on the rows where they may see personal data.
Every cell a spreadsheet could take for a formula is neutralised with a leading apostrophe
(:func:`neutralise`, and its SQL form); the XLSX file holds text cells only, never a formula.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Iterable, Iterator
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
from django.db.models.functions import Cast, Coalesce, Collate, Concat, Left, NullIf
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.keyset import Keyset
from apps.core.languages import current_language
from apps.core.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from apps.core.xlsx import xlsx_chunks

from . import catalogue, sql
from .models import Conveyance, Report
from .selectors import report_list_ordering, report_list_rows

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection): :func:`neutralise` in
# Python, :func:`_neutralised` in SQL.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows fetched from the server-side cursor at a time (XLSX, jobs).
CHUNK_ROWS = 2000


def neutralise(value: str) -> str:
    """``value`` as a cell no spreadsheet runs: a leading apostrophe if it starts like a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _neutralised(text: Any) -> Case:
    """:func:`neutralise` in SQL, for the CSV's SELECT; NULL for an empty text (COPY writes NULL as nothing, as
    :func:`csv_line` writes an empty cell, but '' as ""). ``text`` appears more than once in the SQL: it must be
    cheap to repeat (a column, an aggregate, which PostgreSQL computes once), never a subquery."""
    value = NullIf(text, Value(""), output_field=TextField())
    apostrophe = Concat(Value("'"), value, output_field=TextField())
    return Case(When(In(Left(value, 1), list(FORMULA_STARTS)), then=apostrophe), default=value)


@dataclass(frozen=True)
class Column:
    """One column: its header and the SQL expression of its text; given ``csv``, the text as a CSV cell
    (:func:`_neutralised`)."""

    header: str | Promise
    expression: Callable[[bool], Any]


def _column(header: str | Promise, text: Callable[[], Any]) -> Column:
    """A column of ``text``, neutralised in SQL for the CSV."""
    return Column(header, lambda csv: _neutralised(text()) if csv else text())


def _as_text(name: str) -> Cast:
    return Cast(name, TextField())


def _iso(name: str) -> Func:
    """A time stamp as Python's ``isoformat()`` writes it in UTC: ``2026-01-02T03:04:05[.123456]+00:00`` (the
    fraction only when there is one)."""
    template = (
        "(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        " || CASE WHEN date_trunc('second', %(expressions)s) = %(expressions)s THEN ''"
        " ELSE to_char(%(expressions)s AT TIME ZONE 'UTC', '.US') END || '+00:00')"
    )
    return Func(F(name), template=template, output_field=TextField())


def _distinct(path: str | Coalesce) -> StringAgg:
    """The distinct non-empty values of ``path`` (or of an expression), sorted by code point (as Python sorts
    text), joined with "; "."""
    # The empty string is written into the SQL, not passed as a parameter: PostgreSQL must see the ORDER BY
    # expression as the very argument of the DISTINCT aggregate.
    value = Collate(Func(Cast(path, TextField()), template="NULLIF(%(expressions)s, '')"), "C")
    return StringAgg(value, "; ", distinct=True, order_by=value)


def _distinct_of_rows(model: type[Any], path: str | Coalesce, *, csv: bool) -> Subquery:
    """:func:`_distinct` over the report's rows of ``model`` (a correlated subquery: a second list of rows joined
    beside the items would repeat each item once per row of it); for the CSV, neutralised in the subquery."""
    joined = model.objects.filter(report_id=OuterRef("pk")).order_by().values("report_id")
    value = _neutralised(_distinct(path)) if csv else _distinct(path)
    return Subquery(joined.annotate(joined=value).values("joined"), output_field=TextField())


def _term_label(path: str) -> Coalesce:
    """A vocabulary term's label in the current language (its English label when not translated).

    Without a query parameter (the language, one of the site's, is written into the SQL): a DISTINCT aggregate
    of it (:func:`_distinct`) must see its ORDER BY expression as the very argument."""
    language = current_language()
    translated = Func(
        F(f"{path}__translations"), template=f"NULLIF(%(expressions)s ->> '{language}', '')", output_field=TextField()
    )
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
        return _column(spec.label, lambda: _display(name, spec.choices))
    if spec.kind == "datetime":
        return _column(spec.label, lambda: _iso(name))
    if spec.kind == "terms":
        through = getattr(Report, name).through
        target = getattr(Report, name).field.related_model._meta.model_name
        return Column(spec.label, lambda csv: _distinct_of_rows(through, _term_label(target), csv=csv))
    if spec.kind == "term":
        return _column(spec.label, lambda: _term_label(name))
    if spec.kind in ("operation", "administration"):
        return _column(spec.label, lambda: _as_text(f"{name}__name"))
    # text, integer, date (PostgreSQL writes a date as ISO 8601), uuid, country (its code)
    return _column(spec.label, lambda: _as_text(name))


def _fields(*names: str) -> tuple[Column, ...]:
    return tuple(_field_column(name) for name in names)


# The items' columns aggregate the items joined to the report (grouped by report), in the items' order.
_ITEM_ORDER = ("items__position", "items__pk")


def _items() -> StringAgg:
    """Each item as "<commodity type or category>: <quantity> <unit>", in the items' order."""
    what = Coalesce(
        _term_label("items__commodity_type"), _term_label("items__commodity_category"), output_field=TextField()
    )
    quantity = Cast(Func(F("items__quantity"), function="trim_scale"), TextField())
    item = Concat(what, Value(": "), quantity, Value(" "), "items__unit__code", output_field=TextField())
    return StringAgg(item, "; ", order_by=_ITEM_ORDER)


def _duplicate() -> Case:
    marked = pgettext("a report marked as a duplicate", "yes")
    return Case(When(duplicate_of__isnull=False, then=Value(marked)), default=Value(""), output_field=TextField())


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
    _column(gettext_lazy("Items"), _items),
    _column(gettext_lazy("HS codes"), lambda: _distinct("items__hs_code__code")),
    _column(gettext_lazy("Brands"), lambda: _distinct("items__brand")),
    _column(gettext_lazy("Duplicate"), _duplicate),
    *_fields("submitted_at"),
)
PERSONAL_COLUMNS: tuple[Column, ...] = (
    *_fields("modus_operandi"),
    _column(gettext_lazy("Concealment details"), _concealment),
    Column(gettext_lazy("Conveyance identifiers"), lambda csv: _distinct_of_rows(Conveyance, "identifier", csv=csv)),
)
_PERSONAL_FLAG = "export_personal"

# An export's file formats (each with its content type) and lists (each with the name its download starts with).
FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE}
LISTS = {"reports": "reports", "review_queue": "review-queue"}


def export_permissions(*, list_name: str) -> tuple[str, ...]:
    """The capabilities an export of ``list_name`` (a key of :data:`LISTS`) needs, in a request and in a job."""
    if list_name == "review_queue":
        return ("reports.export_report", "reports.review_report")
    return ("reports.export_report",)


def export_list(*, user: Actor, list_name: str) -> QuerySet[Report]:
    """The rows an export of ``list_name`` starts from, before its filters: those of the list's page."""
    return report_list_rows(user=user, queue=list_name == "review_queue")


def export_rows(filterset: Any, *, list_name: str) -> QuerySet[Report]:
    """The rows of an export: those of ``filterset`` (valid, over :func:`export_list`), in the order of the list's
    page, ties broken as the page breaks them (:func:`~apps.reports.selectors.report_list_ordering`)."""
    bound = filterset.is_bound
    rows: QuerySet[Report] = filterset.qs if bound else filterset.queryset
    chosen = (filterset.form.cleaned_data.get("ordering") or "") if bound else ""
    ordering = report_list_ordering(ordering=chosen, queue=list_name == "review_queue")
    return rows.order_by(*Keyset(Report, ordering).order_by())


def export_download_name(*, list_name: str, file_format: str) -> str:
    """The name an export's file is downloaded under: the list's, today's date, the format."""
    return f"{LISTS[list_name]}-{timezone.localdate().isoformat()}.{file_format}"


def has_personal_columns(user: Actor) -> bool:
    """Whether an export by ``user`` carries the personal columns (the capability, whatever the rows)."""
    return user.has_perm("reports.view_personal_data_report")


def headers(*, user: Actor) -> list[str]:
    """The header row of an export by ``user``."""
    columns = COLUMNS + (PERSONAL_COLUMNS if has_personal_columns(user) else ())
    return [str(column.header) for column in columns]


def _values(*, user: Actor, reports: QuerySet[Report], csv: bool) -> QuerySet[Report]:
    """The export's rows as text, the same rows in the same order as ``reports``. For the CSV (``csv``), cells as
    COPY is to write them: neutralised, personal cells blank where the user may not see the row's personal data;
    otherwise the columns as they are, then (for a personal export) whether the row's personal cells may be filled.
    """
    personal = has_personal_columns(user)
    columns = COLUMNS + (PERSONAL_COLUMNS if personal else ())
    # Its own filters: PostgreSQL then joins the items of the chosen reports only (on 20,000 of 100,000 bench
    # reports, the query ran in 0.58 s through a "pk IN (…)" of the same filters, 0.48 s directly).
    rows = reports.select_related(None).prefetch_related(None)
    names = [f"c{index}" for index in range(len(columns))]
    annotations: dict[str, Any] = {name: column.expression(csv) for name, column in zip(names, columns, strict=True)}
    if personal:
        allowed = Exists(Report.objects.restrict(user, "view_personal_data").filter(pk=OuterRef("pk")))
        if csv:
            for name in names[len(COLUMNS) :]:
                annotations[name] = Case(When(allowed, then=annotations[name]), output_field=TextField())
        else:
            annotations[_PERSONAL_FLAG] = allowed
            names.append(_PERSONAL_FLAG)
    return rows.annotate(**annotations).values_list(*names)


def export_rows_sql(*, user: Actor, reports: QuerySet[Report]) -> tuple[str, tuple[Any, ...]]:
    """The SELECT whose rows a CSV export of ``reports`` by ``user`` is (with its parameters): what it runs
    ``COPY (…) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)`` of."""
    sql, params = _values(user=user, reports=reports, csv=True).query.sql_with_params()
    return sql, tuple(params)


def _personal_reports(user: Actor, reports: QuerySet[Report]) -> dict[str, Any]:
    """Which exported reports' personal data the user may see (the rows whose personal cells are filled), for the
    audit event: who read which persons' data stays on record even if the download is cut short.

    Their uuids up to ``RILO_AUDIT_EXPORT_LIST_MAX`` and their exact count; beyond that bound the list is left out
    and ``personal_reports_truncated`` set. The event's filters (each name with its values, see
    :func:`export_audit`), the actor's scope and the event's time then say which reports they were, as the reports
    stood at that time (a report changed since may no longer match them: the trail of its changes tells).
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


def export_audit(
    *, user: Actor, reports: QuerySet[Report], filters: dict[str, list[str]], job: str | None = None
) -> bool:
    """Record the export of ``reports`` by ``user``: the filters that chose them (each name with its values, as
    :func:`~apps.reports.filtersets.filters_used` gives them) and the uuids of the reports whose personal columns it
    fills (those the user may see personal data of); whether it carries personal columns."""
    personal = has_personal_columns(user)
    detail: dict[str, Any] = {"personal_columns": personal, "filters": filters}
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


def _export_cells(*, user: Actor, reports: QuerySet[Report], hold: bool = False) -> Iterator[list[str]]:
    """The cells of each exported row, as text: neutralised, personal cells blank where the user may not see the
    row's personal data. Not audited: see :func:`export_audit`. ``hold``: run outside a transaction (a job)."""
    personal = has_personal_columns(user)
    blank = [""] * len(PERSONAL_COLUMNS)
    own = len(COLUMNS)
    rows = _values(user=user, reports=reports, csv=False)
    with _export_connection(rows.db, hold=hold):
        for row in rows.iterator(chunk_size=CHUNK_ROWS):
            values: list[Any] = list(cast(tuple[Any, ...], row))
            if personal and not values.pop():  # the row's flag: may its personal cells be filled?
                values[own:] = blank
            yield ["" if value is None else neutralise(value) for value in values]


def csv_line(cells: Iterable[str]) -> str:
    """A CSV line as PostgreSQL's COPY ``WITH (FORMAT csv, FORCE_QUOTE *)`` writes one (what the page streams):
    every non-empty cell quoted (its quotes doubled), so that no spreadsheet splits it on its list separator
    (";" in French, German or Russian locales: an unquoted ``x;=cmd…`` would be two cells, the second a formula);
    an empty cell empty; the line ended with LF."""
    return ",".join('"' + cell.replace('"', '""') + '"' if cell else "" for cell in cells) + "\n"


def _csv_pieces(lines: Iterable[str]) -> Iterator[bytes]:
    """``lines`` encoded (UTF-8), joined into pieces of about ``sql.EXPORT_CSV_PIECE`` bytes."""
    piece: list[str] = []
    size = 0
    for line in lines:
        piece.append(line)
        size += len(line)
        if size >= sql.EXPORT_CSV_PIECE:
            yield "".join(piece).encode()
            piece, size = [], 0
    if piece:
        yield "".join(piece).encode()


def export_chunks(
    *,
    user: Actor,
    reports: QuerySet[Report],
    file_format: str,
    filters: dict[str, list[str]],
    job: str | None = None,
    rows_read: Callable[[int], None] | None = None,
) -> Generator[bytes]:
    """The file (``file_format``, a key of :data:`FORMATS`) of the export of ``reports`` (already restricted and
    filtered) by ``user``, in pieces; audited (:func:`export_audit`, with ``filters``) when its first piece is asked.

    In a request the CSV is PostgreSQL's COPY, streamed (the header written here, quoted as COPY quotes). A
    background ``job`` (its uuid) cannot hold the connection in a COPY: it reads the rows through a server-side
    cursor outside a transaction, telling ``rows_read`` how many so far, and writes them as COPY would
    (:func:`csv_line`), byte for byte. The XLSX file holds text cells only.
    """
    header = headers(user=user)  # in the request's language, before the response streams
    sheet_name = str(gettext_lazy("Reports"))
    in_request = job is None

    def chunks() -> Generator[bytes]:
        export_audit(user=user, reports=reports, filters=filters, job=job)
        if file_format == "csv" and in_request:
            yield csv_line(header).encode()
            query, params = export_rows_sql(user=user, reports=reports)
            yield from sql.export_csv(database=reports.db, query=query, params=params)
            return
        cells = _export_cells(user=user, reports=reports, hold=not in_request)
        if rows_read is not None:
            cells = _counted(cells, rows_read)
        if file_format == "xlsx":
            yield from xlsx_chunks(itertools.chain([header], cells), sheet_name=sheet_name)
        else:
            yield from _csv_pieces(map(csv_line, itertools.chain([header], cells)))

    return chunks()


def _counted(rows: Iterable[list[str]], rows_read: Callable[[int], None]) -> Iterator[list[str]]:
    for done, row in enumerate(rows, start=1):
        yield row
        rows_read(done)
