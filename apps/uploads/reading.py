"""Reading an upload row by row: XLSX sheets or a CSV, streamed, into :class:`Record` objects.

A record is one row of one part (a report, an item, a route step, a conveyance, a person or company) with
its values converted for the one validator (:mod:`apps.uploads.values`) and, per field, the cell it came
from (a column letter, or a CSV header) so that every error is shown at its cell. Nothing is checked here
but what only the file can tell: a formula or an error value in a cell, an unknown or repeated column, a
missing required column, a sheet that holds no part, too many rows. A reading for a process that checks only
some reports (:mod:`apps.uploads.helper`) converts the cells of their rows alone: another's rows give the same
records, holding their national reference only.

- **XLSX** sheets are read by calamine, far faster than openpyxl (``python -m bench upload_reading``), after a
  scan of each sheet's XML (:mod:`apps.uploads.sheets`) for what calamine does not tell: formulas are never
  evaluated nor their cached results taken, a cell holding one (or an error value) is a problem for that
  cell and its value is blank; a sheet calamine must not hold is parsed row by row instead. A sheet named
  ``CSV`` (a CSV's marked copy, corrected in Excel) is read as the CSV form. The template's own sheets and a
  marked copy's Errors sheet are skipped; any other unknown sheet is a problem of the file.
- **CSV** (:mod:`apps.uploads.reading_csv`): UTF-8 with or without a byte-order mark, UTF-16 (with a byte-order
  mark, or detected) or Windows-1252, detected unless the user chose; the separator (``,`` ``;`` or tab) is the one
  that makes the most headers known. A cell starting with ``= + - @`` is text like any other (the exports neutralise
  such cells). The columns are those of :func:`apps.uploads.columns.csv_columns`: each row gives a report record
  (but a row repeating the report cells of the row above: the same report's next item), an item record, and on the
  first row of a report that has them its route steps, conveyances and persons or companies (other rows of the
  report repeat those alike or leave them blank, else a problem).

A row limit (``RILO_UPLOAD_MAX_ROWS`` per sheet) refuses the upload as soon as it is passed
(:class:`~apps.uploads.sniffing.UploadRefused` raised while iterating; so is a damaged workbook or a CSV
that is not in its encoding). A cell holding a NUL character (no text stored may hold one: a CSV's byte zero,
a workbook's ``_x0000_``) is a problem of that cell. A cell with a problem has the value ``None``: its problem
says what to do, and the validator's own message for that cell adds nothing. Problems of the file as a whole
(headers, sheets, no rows) are in the :class:`ReadSummary` (:mod:`apps.uploads.cells`), complete once the records
are consumed.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from . import columns as upload_columns
from . import values as upload_values
from .cells import CSV_SHEET, CellProblem, ReadSummary, Record, Wanted, header_problems
from .columns import REFERENCE
from .messages import formula_message, nul_message, too_many_rows_message
from .reading_csv import csv_records, read_csv
from .sheets import (
    calamine_rows,
    column_letters,
    parsed_sheet_rows,
    scan_sheet,
    shared_strings,
    unnamed_parts_scanned,
    workbook_sheets,
)
from .sniffing import CSV, XLSX, UploadRefused, check_zip


class UploadReading(Iterator[Record]):
    """The records of an upload, one at a time; ``summary`` fills in as they are read."""

    def __init__(self, records: Iterator[Record], summary: ReadSummary) -> None:
        self._records = records
        self.summary = summary

    def __iter__(self) -> UploadReading:
        return self

    def __next__(self) -> Record:
        return next(self._records)


def read_upload(
    path: Path, *, format: str, encoding: str | None = None, variant: str, wanted: Wanted | None = None
) -> UploadReading:
    """The records of the upload at ``path`` (``format`` as :func:`~apps.uploads.sniffing.inspect_upload` said;
    ``encoding`` of a CSV as the user chose it, or ``None`` to detect), read as the ``variant`` lays them out.
    ``wanted`` is asked of each row's national reference: a row it does not want gives the same records, holding
    the reference alone (its other cells are not converted: another process checks them)."""
    upload_columns.part_fields("report", variant=variant)  # an unknown variant fails here, not mid-file
    summary = ReadSummary(format=format)
    if format == XLSX:
        return UploadReading(_read_xlsx(path, variant=variant, summary=summary, wanted=wanted), summary)
    if format == CSV:
        return UploadReading(
            read_csv(path, encoding=encoding, variant=variant, summary=summary, wanted=wanted), summary
        )
    raise ValueError(f"Unknown upload format {format!r}.")


# ---------------------------------------------------------------------------------------------------------------
# XLSX (the workbook's parts: :mod:`apps.uploads.sheets`)


def _csv_form_rows(
    rows: Iterator[tuple[int, dict[int, Any], dict[int, str]]], formulas: dict[int, dict[int, str]]
) -> Iterator[list[str]]:
    """A sheet holding the CSV form, as the CSV reader takes rows: every row from row 1 (blank ones too), cells as
    text; the formula and error cells met are added to ``formulas`` before their row is handed over."""
    expected = 1
    for number, cells, marked in rows:
        while expected < number:
            expected += 1
            yield []
        for index, text in marked.items():
            formulas.setdefault(number, {})[index] = text
        expected = number + 1
        yield [upload_values.text(cells.get(index, "")) for index in range(max([*cells, *marked], default=-1) + 1)]


def _read_xlsx(path: Path, *, variant: str, summary: ReadSummary, wanted: Wanted | None) -> Iterator[Record]:
    try:
        with zipfile.ZipFile(path) as archive:
            # calamine reads the shared strings, the styles and the workbook's parts as it opens it, each sheet when
            # asked for it: every part is checked to hold what its directory entry declares first, whenever the file
            # was inspected — the sheets the workbook lists as they are scanned, every other part (inflated once,
            # and scanned where it holds cells) by unnamed_parts_scanned.
            check_zip(archive)
            sheets, date1904 = workbook_sheets(archive)
            unnamed_parts_scanned(archive, {member for _title, member in sheets})
            workbook = CalamineWorkbook.from_path(str(path))
            strings: list[str] | None = None
            parts = upload_columns.sheet_parts(variant=variant)
            found: set[str] = set()
            for title, member in sheets:
                if upload_columns.normalised_header(title) == CSV_SHEET.casefold() and not found:
                    # A CSV's marked copy, corrected in Excel: the sheet holds the CSV form.
                    found.add("report")
                    scan = scan_sheet(archive, member)
                    if scan.fits_calamine:
                        rows = calamine_rows(workbook, title, {})
                    else:
                        strings = shared_strings(archive) if strings is None else strings
                        rows = parsed_sheet_rows(archive, member, strings)
                    formulas: dict[int, dict[int, str]] = {}  # by row, then column
                    for (marked_row, marked_column), text in (scan.marked or {}).items():
                        formulas.setdefault(marked_row, {})[marked_column] = text
                    texts = _csv_form_rows(rows, formulas)
                    csv_form = csv_records(texts, variant=variant, summary=summary, formulas=formulas, wanted=wanted)
                    for _line, record in csv_form:
                        yield record
                    continue
                part = upload_columns.part_for_sheet(title)
                if part is None or part not in parts:
                    if not upload_columns.is_template_sheet(title):
                        summary.problems.append(
                            CellProblem(
                                title,
                                1,
                                "",
                                "",
                                _(
                                    "The sheet %(sheet)s is not read: its rows belong in the sheets %(sheets)s "
                                    "of the %(variant)s template."
                                )
                                % {
                                    "sheet": title,
                                    "sheets": ", ".join(upload_columns.sheet_title(name) for name in parts),
                                    "variant": variant,
                                },
                            )
                        )
                    continue
                if part in found:
                    summary.problems.append(
                        CellProblem(title, 1, "", "", _("Two sheets hold the same part: keep one."))
                    )
                    continue
                found.add(part)
                scan = scan_sheet(archive, member)
                if scan.marked is not None and scan.fits_calamine:
                    rows = calamine_rows(workbook, title, scan.marked)
                else:  # a formula without a cell reference, or a sheet too sparse for calamine: parsed row by row
                    strings = shared_strings(archive) if strings is None else strings
                    rows = parsed_sheet_rows(archive, member, strings)
                yield from _sheet_records(
                    rows, title, part, variant=variant, date1904=date1904, summary=summary, wanted=wanted
                )
            if "report" not in found:
                summary.problems.append(
                    CellProblem(
                        "",
                        1,
                        "",
                        "",
                        _("The workbook has no sheet %(sheet)s: use the template.")
                        % {"sheet": upload_columns.sheet_title("report")},
                    )
                )
            elif not any(summary.rows.values()):
                summary.problems.append(CellProblem("", 1, "", "", _("The workbook has no rows below its headers.")))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError, CalamineError) as error:
        raise UploadRefused(_("This workbook is damaged and cannot be read: save it again in Excel.")) from error


def _sheet_records(
    rows: Iterator[tuple[int, dict[int, Any], dict[int, str]]],
    title: str,
    part: str,
    *,
    variant: str,
    date1904: bool,
    summary: ReadSummary,
    wanted: Wanted | None = None,
) -> Iterator[Record]:
    limit = settings.RILO_UPLOAD_MAX_ROWS
    count = 0
    layout: dict[int, tuple[str, str, upload_values.Converter]] | None = None
    names: tuple[str, ...] = ()
    where: dict[str, str] = {}
    reference_at: int | None = None  # the national reference's column
    summary.rows.setdefault(part, 0)
    for row, cells, marked in rows:
        if layout is None:
            if not cells and not marked:
                continue  # blank rows above the headers
            layout = _sheet_layout(title, part, cells, marked, variant=variant, date1904=date1904, summary=summary)
            names = tuple(name for name, _letters, _convert in layout.values())
            where = {name: letters for name, letters, _convert in layout.values()}
            reference_at = next((index for index, column in layout.items() if column[0] == REFERENCE), None)
            continue
        if not cells and not marked:
            continue
        count += 1
        if count > limit:
            raise UploadRefused(too_many_rows_message(title))
        if wanted is not None:
            reference = None  # as the record below would hold it
            if reference_at is not None and (raw := cells.get(reference_at)) is not None and not _blank(raw):
                reference = None if type(raw) is str and "\x00" in raw else layout[reference_at][2](raw)
            if not wanted(reference):  # the reference alone, if the row gives a record (as below)
                if any(index in layout and not _blank(raw) for index, raw in cells.items()) or any(
                    index in layout for index in marked
                ):
                    summary.rows[part] += 1
                    yield Record(part=part, sheet=title, row=row, values={REFERENCE: reference}, cells=where)
                continue
        values: dict[str, Any] = dict.fromkeys(names)
        present = False
        problems = []
        for index, raw in cells.items():
            column = layout.get(index)
            if column is None:
                continue
            if type(raw) is str:
                if raw.isspace():
                    continue
                if "\x00" in raw:  # Excel's escape _x0000_: no text stored may hold it
                    problems.append(CellProblem(title, row, column[1], column[0], nul_message()))
                    continue
            values[column[0]] = column[2](raw)
            present = True
        for index, text in marked.items():
            if index in layout:
                name, letters, _convert = layout[index]
                problems.append(CellProblem(title, row, letters, name, formula_message(text)))
        if not present and not problems:
            continue  # a row with cells only in unknown columns: reported with the headers
        summary.rows[part] += 1
        yield Record(part=part, sheet=title, row=row, values=values, cells=where, problems=problems or ())


def _blank(raw: Any) -> bool:
    """A cell read as blank: spaces (one holding a NUL is a problem, so not blank)."""
    return type(raw) is str and raw.isspace()


def _sheet_layout(
    title: str,
    part: str,
    cells: dict[int, Any],
    marked: dict[int, str],
    *,
    variant: str,
    date1904: bool,
    summary: ReadSummary,
) -> dict[int, tuple[str, str, upload_values.Converter]]:
    """The known columns of a sheet from its header row: by column index, (field name, letters, conversion)."""
    width = max([*cells, *marked]) + 1
    headers = [upload_values.text(cells[index]) if index in cells else "" for index in range(width)]
    match = upload_columns.match_headers(part, headers, variant=variant)
    problems = header_problems(title, match)
    for problem in problems:
        if problem.column in headers:
            problem.column = column_letters(headers.index(problem.column))
    summary.problems.extend(problems)
    return {
        index: (column.field.name, column_letters(index), upload_values.converter(column.field, date1904=date1904))
        for index, column in enumerate(match.columns)
        if column is not None
    }
