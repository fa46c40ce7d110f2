"""Reading an upload row by row: XLSX sheets or a CSV, streamed, into :class:`Record` objects.

A record is one row of one part (a report, an item, a route step, a conveyance, a person or company) with
its values converted for the one validator (:mod:`apps.uploads.values`) and, per field, the cell it came
from (a column letter, or a CSV header) so that every error is shown at its cell. Nothing is checked here
but what only the file can tell: a formula or an error value in a cell, an unknown or repeated column, a
missing required column, a sheet that holds no part, too many rows.

- **XLSX** sheets are read by calamine, far faster than openpyxl (``python -m bench upload_reading``), after a
  scan of each sheet's XML (:mod:`apps.uploads.sheets`) for what calamine does not tell: formulas are never
  evaluated nor their cached results taken, a cell holding one (or an error value) is a problem for that
  cell and its value is blank; a sheet calamine must not hold is parsed row by row instead. A sheet named
  ``CSV`` (a CSV's marked copy, corrected in Excel) is read as the CSV form. The template's own sheets and a
  marked copy's Errors sheet are skipped; any other unknown sheet is a problem of the file.
- **CSV**: UTF-8 with or without a byte-order mark, UTF-16 (with a byte-order mark, or detected) or
  Windows-1252, detected unless the user chose; the separator (``,`` ``;`` or tab) is the one that makes
  the most headers known. A cell starting with ``= + - @`` is text like any other (the exports neutralise
  such cells). The columns are those of :func:`apps.uploads.columns.csv_columns`: each row gives a report
  record (but a row repeating the report cells of the row above: the same report's next item), an item
  record, and on the first row of a report that has them its route steps, conveyances and persons or
  companies (other rows of the report repeat those alike or leave them blank, else a problem).

A row limit (``RILO_UPLOAD_MAX_ROWS`` per sheet) refuses the upload as soon as it is passed
(:class:`~apps.uploads.sniffing.UploadRefused` raised while iterating; so is a damaged workbook or a CSV
that is not in its encoding). A cell with a problem has the value ``None``: its problem says what to do, and
the validator's own message for that cell adds nothing. Problems of the file as a whole (headers, sheets,
no rows) are in the :class:`ReadSummary`, complete once the records are consumed.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import operator
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from . import columns as upload_columns
from . import values as upload_values
from .columns import REFERENCE
from .messages import too_many_rows_message
from .sheets import (
    calamine_rows,
    column_letters,
    parsed_sheet_rows,
    scan_sheet,
    shared_strings,
    workbook_sheets,
)
from .sniffing import CSV, XLSX, UploadRefused

# The sheet name of a CSV in problems and in its marked copy.
CSV_SHEET = "CSV"
# Encodings a user may choose (anything else is detected): (codec, label).
ENCODINGS: tuple[tuple[str, str], ...] = (
    ("utf-8", "UTF-8"),
    ("utf-16", "UTF-16"),
    ("windows-1252", "Windows-1252 (Western European)"),
)
SEPARATORS = (",", ";", "\t")

_CHUNK = 1024 * 1024


@dataclass
class CellProblem:
    """What is wrong at one cell (or, with ``row`` 1 and a header, one column), and what to do about it."""

    sheet: str
    row: int
    column: str
    field: str
    message: str


@dataclass(slots=True)
class Record:
    """One row of one part as read: ``values`` by field name (blank cells ``None``; vocabulary terms as typed),
    ``cells`` the column letter or CSV header of each field, ``row`` as the spreadsheet numbers it (1-based).

    ``cells`` is the layout's own mapping, shared by every record of the sheet (or CSV part): read it, never
    change it. A 100,000-row file holds some 400,000 records until they are checked."""

    part: str
    sheet: str
    row: int
    values: dict[str, Any]
    cells: dict[str, str]
    problems: list[CellProblem] = field(default_factory=list)


@dataclass
class ReadSummary:
    """What reading found out: the format, the CSV's encoding and separator, the rows per part, and the
    problems of the file as a whole (complete once every record has been consumed)."""

    format: str
    encoding: str = ""
    separator: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    problems: list[CellProblem] = field(default_factory=list)


class UploadReading(Iterator[Record]):
    """The records of an upload, one at a time; ``summary`` fills in as they are read."""

    def __init__(self, records: Iterator[Record], summary: ReadSummary) -> None:
        self._records = records
        self.summary = summary

    def __iter__(self) -> UploadReading:
        return self

    def __next__(self) -> Record:
        return next(self._records)


def read_upload(path: Path, *, format: str, encoding: str | None = None, variant: str) -> UploadReading:
    """The records of the upload at ``path`` (``format`` as :func:`~apps.uploads.sniffing.inspect_upload` said;
    ``encoding`` of a CSV as the user chose it, or ``None`` to detect), read as the ``variant`` lays them out."""
    upload_columns.part_fields("report", variant=variant)  # an unknown variant fails here, not mid-file
    summary = ReadSummary(format=format)
    if format == XLSX:
        return UploadReading(_read_xlsx(path, variant=variant, summary=summary), summary)
    if format == CSV:
        return UploadReading(_read_csv(path, encoding=encoding, variant=variant, summary=summary), summary)
    raise ValueError(f"Unknown upload format {format!r}.")


def _header_problems(sheet: str, match: upload_columns.HeaderMatch) -> list[CellProblem]:
    """The problems of a header row: unknown, repeated and missing columns (row 1, at the header)."""
    problems = [
        CellProblem(
            sheet,
            1,
            header,
            "",
            _("Unknown column %(header)r: its cells are not read. Use the template's headers (see its Read me).")
            % {"header": header},
        )
        for header in match.unknown
    ]
    problems.extend(
        CellProblem(sheet, 1, header, "", _("The column %(header)r appears twice: keep one.") % {"header": header})
        for header in match.repeated
    )
    problems.extend(
        CellProblem(
            sheet,
            1,
            "",
            column.field.name,
            _("The required column %(header)r is missing: add it (see the template).") % {"header": str(column.header)},
        )
        for column in match.missing
    )
    return problems


# ---------------------------------------------------------------------------------------------------------------
# CSV


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """The codec of a CSV: from its byte-order mark; else UTF-16 when every other byte is zero; else UTF-8
    when the whole file decodes as UTF-8; else Windows-1252 when it decodes as that."""
    with path.open("rb") as stream:
        head = stream.read(4096)
    if found := _bom_encoding(head):
        return found
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4 and odd.count(0) > 0.4 * len(odd):
        return "utf-16-le"
    if len(head) >= 4 and even.count(0) > 0.4 * len(even):
        return "utf-16-be"
    for encoding in ("utf-8", "windows-1252"):
        if _decodes(path, encoding):
            return encoding
    raise UploadRefused(
        _("The file's text is in none of the encodings read here (UTF-8, UTF-16, Windows-1252): save it as UTF-8.")
    )


def _chosen_codec(path: Path, encoding: str) -> str:
    with path.open("rb") as stream:
        head = stream.read(4)
    bom = _bom_encoding(head)
    if encoding == "utf-8":
        return "utf-8-sig"  # a byte-order mark is not part of the first header
    if encoding == "utf-16":
        return bom if bom == "utf-16" else "utf-16-le"
    return encoding


def _separator(header_line: str, variant: str) -> str:
    """The separator that makes the most headers known (ties: the one that splits the line most)."""

    def score(separator: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=separator), [])
        match = upload_columns.match_headers("csv", cells, variant=variant)
        return sum(column is not None for column in match.columns), len(cells)

    return max(SEPARATORS, key=score)


def _read_csv(path: Path, *, encoding: str | None, variant: str, summary: ReadSummary) -> Iterator[Record]:
    if encoding:
        names = {name for name, _label in ENCODINGS}
        if encoding not in names:
            raise ValueError(f"Unknown encoding {encoding!r}.")
        codec = _chosen_codec(path, encoding)
    else:
        codec = detect_encoding(path)
    summary.encoding = codecs.lookup(codec).name
    line = 1
    try:
        with path.open(encoding=codec, newline="", errors="strict") as stream:
            first = stream.readline()
            summary.separator = _separator(first.rstrip("\r\n"), variant)
            reader = csv.reader(itertools.chain([first], stream), delimiter=summary.separator)
            for line, record in _csv_records(reader, variant=variant, summary=summary):  # noqa: B007
                yield record
    except UnicodeDecodeError as error:
        raise UploadRefused(
            _("The file is not valid %(encoding)s text (after row %(row)s): choose its encoding, or 'detect'.")
            % {"encoding": summary.encoding, "row": line}
        ) from error
    except csv.Error as error:
        message = _("The CSV cannot be read after row %(row)s: %(error)s") % {"row": line, "error": error}
        raise UploadRefused(message) from error


def _no_cells(cells: list[str]) -> tuple[str, ...]:
    return ()


def _cells_at(positions: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """The cells at ``positions`` of a row, as a tuple (``itemgetter``: no Python loop per cell)."""
    if not positions:
        return _no_cells
    getter = operator.itemgetter(*positions)
    if len(positions) == 1:
        return lambda cells: (getter(cells),)
    return getter  # type: ignore[return-value]


@dataclass
class _CsvLayout:
    """The CSV columns that fill one part's record: (position, field name, conversion), and each field's header."""

    part: str
    positions: list[tuple[int, str, upload_values.Converter]]
    where: dict[str, str]
    own_cells: Callable[[list[str]], tuple[str, ...]] = _no_cells

    def seal(self) -> None:
        """Done adding columns: ``own_cells`` gives the cells of the part's fields but the reference."""
        own = [position for position, name, _convert in self.positions if name != REFERENCE]
        self.own_cells = _cells_at(own)

    def record(self, cells: list[str], row: int) -> Record | None:
        """The record of ``cells`` (``None`` when they leave every field of the part but the reference blank)."""
        if not any(self.own_cells(cells)):
            return None
        values = {
            name: converter(cell) if (cell := cells[position]) and not cell.isspace() else None
            for position, name, converter in self.positions
        }
        return Record(part=self.part, sheet=CSV_SHEET, row=row, values=values, cells=self.where)


def _csv_layouts(
    headers: list[str], match: upload_columns.HeaderMatch
) -> tuple[_CsvLayout, _CsvLayout, list[_CsvLayout]]:
    """The layouts of a CSV's report, item and numbered groups (each holding the national reference)."""
    report = _CsvLayout("report", [], {})
    item = _CsvLayout("item", [], {})
    groups: dict[tuple[str, int], _CsvLayout] = {}
    for position, column in enumerate(match.columns):
        if column is None:
            continue
        if column.group:
            layout = groups.setdefault((column.part, column.group), _CsvLayout(column.part, [], {}))
        else:
            layout = report if column.part == "report" else item
        layout.positions.append((position, column.field.name, upload_values.converter(column.field)))
        layout.where[column.field.name] = headers[position]
    reference = [entry for entry in report.positions if entry[1] == REFERENCE]
    for layout in (item, *groups.values()):
        layout.positions[:0] = reference
        if reference:
            layout.where[REFERENCE] = headers[reference[0][0]]
    for layout in (report, item, *groups.values()):
        layout.seal()
    return report, item, list(groups.values())


def _csv_records(
    reader: Iterator[list[str]],
    *,
    variant: str,
    summary: ReadSummary,
    formulas: dict[tuple[int, int], str] | None = None,
) -> Iterator[tuple[int, Record]]:
    """A report record per row (but a row repeating the report cells of the row above), an item record per row
    with item cells, and each report's numbered groups from the first of its rows that has them."""
    headers = next(reader, None)
    if headers is None:
        summary.problems.append(CellProblem(CSV_SHEET, 1, "", "", _("The file has no header row.")))
        return
    match = upload_columns.match_headers("csv", headers, variant=variant)
    summary.problems.extend(_header_problems(CSV_SHEET, match))
    report_layout, item_layout, group_layouts = _csv_layouts(headers, match)
    report_cells_of = _cells_at([position for position, _name, _convert in report_layout.positions])
    group_cells_of = _cells_at(
        [position for layout in group_layouts for position, name, _convert in layout.positions if name != REFERENCE]
    )
    reference_at = next((position for position, name, _c in report_layout.positions if name == REFERENCE), None)
    width = len(headers)
    limit = settings.RILO_UPLOAD_MAX_ROWS
    # The first row that gave each report's groups, and what they were: later rows repeat them or leave them blank.
    first_groups: dict[str, tuple[int, tuple[str, ...]]] = {}
    rows = {"report": 0, "item": 0, **dict.fromkeys(upload_columns.CSV_GROUPS, 0)}
    data_rows = 0
    previous_report: tuple[str, ...] | None = None
    for row_number, cells in enumerate(reader, start=2):
        if not any(cells):
            continue
        data_rows += 1
        if data_rows > limit:
            raise UploadRefused(too_many_rows_message(CSV_SHEET))
        problems: list[CellProblem] = []
        if formulas:  # the CSV form as a sheet of a workbook (a marked copy corrected in Excel)
            for (row, position), text in formulas.items():
                if row == row_number and position < len(cells):
                    cells[position] = ""
                    header = headers[position] if position < width else column_letters(position)
                    problems.append(CellProblem(CSV_SHEET, row_number, header, "", _formula_message(text)))
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        elif len(cells) > width and any(cell.strip() for cell in cells[width:]):
            problems.append(
                CellProblem(CSV_SHEET, row_number, "", "", _("This row has more cells than the file has headers."))
            )
        records: list[Record | None] = []
        if group_layouts:
            given = group_cells_of(cells)
            if any(given):
                reference = cells[reference_at].strip() if reference_at is not None else ""
                first = first_groups.get(reference)
                if first is None:
                    first_groups[reference] = (row_number, given)
                    records.extend(layout.record(cells, row_number) for layout in group_layouts)
                elif given != first[1]:
                    problems.append(
                        CellProblem(
                            CSV_SHEET,
                            row_number,
                            "",
                            "",
                            _(
                                "The route, conveyances or persons differ from row %(row)s of the same national "
                                "reference: give them once per report (repeat them alike or leave them blank)."
                            )
                            % {"row": first[0]},
                        )
                    )
        # Report cells repeated from the row above (the same report's next item) make no second report record.
        report_cells = report_cells_of(cells)
        if report_cells != previous_report or problems:
            report = Record(
                part="report",
                sheet=CSV_SHEET,
                row=row_number,
                values={
                    name: converter(cell) if (cell := cells[position]) and not cell.isspace() else None
                    for position, name, converter in report_layout.positions
                },
                cells=report_layout.where,
                problems=problems,
            )
            rows["report"] += 1
            yield row_number, report
        previous_report = report_cells
        item = item_layout.record(cells, row_number)
        for record in (item, *records):
            if record is not None:
                rows[record.part] += 1
                yield row_number, record
    summary.rows = {part: count for part, count in rows.items() if count or part in ("report", "item")}
    if data_rows == 0:
        summary.problems.append(CellProblem(CSV_SHEET, 1, "", "", _("The file has no rows below its headers.")))


# ---------------------------------------------------------------------------------------------------------------
# XLSX (the workbook's parts: :mod:`apps.uploads.sheets`)


def _csv_form_rows(
    rows: Iterator[tuple[int, dict[int, Any], dict[int, str]]], formulas: dict[tuple[int, int], str]
) -> Iterator[list[str]]:
    """A sheet holding the CSV form, as the CSV reader takes rows: every row from row 1 (blank ones too), cells as
    text; the formula and error cells met are added to ``formulas`` before their row is handed over."""
    expected = 1
    for number, cells, marked in rows:
        while expected < number:
            expected += 1
            yield []
        for index, text in marked.items():
            formulas[number, index] = text
        expected = number + 1
        yield [upload_values.text(cells.get(index, "")) for index in range(max([*cells, *marked], default=-1) + 1)]


def _read_xlsx(path: Path, *, variant: str, summary: ReadSummary) -> Iterator[Record]:
    try:
        with zipfile.ZipFile(path) as archive:
            sheets, date1904 = workbook_sheets(archive)
            workbook = CalamineWorkbook.from_path(str(path))
            strings: list[str] | None = None
            wanted = upload_columns.sheet_parts(variant=variant)
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
                    formulas = dict(scan.marked or {})
                    texts = _csv_form_rows(rows, formulas)
                    for _line, record in _csv_records(texts, variant=variant, summary=summary, formulas=formulas):
                        yield record
                    continue
                part = upload_columns.part_for_sheet(title)
                if part is None or part not in wanted:
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
                                    "sheets": ", ".join(upload_columns.sheet_title(name) for name in wanted),
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
                yield from _sheet_records(rows, title, part, variant=variant, date1904=date1904, summary=summary)
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


def _formula_message(text: str) -> str:
    if text.startswith("="):
        return _(
            "This cell holds a formula (%(formula)s), which is never run: type the value itself "
            "(in Excel: copy, then paste as values)."
        ) % {"formula": text[:60]}
    return _("This cell holds the error %(error)s: type the value itself.") % {"error": text}


def _sheet_records(
    rows: Iterator[tuple[int, dict[int, Any], dict[int, str]]],
    title: str,
    part: str,
    *,
    variant: str,
    date1904: bool,
    summary: ReadSummary,
) -> Iterator[Record]:
    limit = settings.RILO_UPLOAD_MAX_ROWS
    count = 0
    layout: dict[int, tuple[str, str, upload_values.Converter]] | None = None
    names: tuple[str, ...] = ()
    where: dict[str, str] = {}
    summary.rows.setdefault(part, 0)
    for row, cells, marked in rows:
        if layout is None:
            if not cells and not marked:
                continue  # blank rows above the headers
            layout = _sheet_layout(title, part, cells, marked, variant=variant, date1904=date1904, summary=summary)
            names = tuple(name for name, _letters, _convert in layout.values())
            where = {name: letters for name, letters, _convert in layout.values()}
            continue
        if not cells and not marked:
            continue
        count += 1
        if count > limit:
            raise UploadRefused(too_many_rows_message(title))
        values: dict[str, Any] = dict.fromkeys(names)
        present = False
        for index, raw in cells.items():
            column = layout.get(index)
            if column is not None and (type(raw) is not str or not raw.isspace()):
                values[column[0]] = column[2](raw)
                present = True
        problems = []
        for index, text in marked.items():
            if index in layout:
                name, letters, _convert = layout[index]
                problems.append(CellProblem(title, row, letters, name, _formula_message(text)))
        if not present and not problems:
            continue  # a row with cells only in unknown columns: reported with the headers
        summary.rows[part] += 1
        yield Record(part=part, sheet=title, row=row, values=values, cells=where, problems=problems)


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
    problems = _header_problems(title, match)
    for problem in problems:
        if problem.column in headers:
            problem.column = column_letters(headers.index(problem.column))
    summary.problems.extend(problems)
    return {
        index: (column.field.name, column_letters(index), upload_values.converter(column.field, date1904=date1904))
        for index, column in enumerate(match.columns)
        if column is not None
    }
