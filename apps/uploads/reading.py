"""Reading an upload row by row: XLSX sheets or a CSV, streamed, into :class:`Record` objects.

A record is one row of one part (a report, an item, a route step, a conveyance, a person or company) with
its values converted for the one validator (:mod:`apps.uploads.values`) and, per field, the cell it came
from (a column letter, or a CSV header) so that every error is shown at its cell. Nothing is checked here
but what only the file can tell: a formula or an error value in a cell, an unknown or repeated column, a
missing required column, a sheet that holds no part, too many rows.

- **XLSX** sheets are read by calamine (python-calamine: a sheet at a time, far faster than openpyxl; figures
  in ``python -m bench upload_reading``). Formulas are never evaluated nor their cached results taken: since
  calamine gives a formula's cached result and no error value, each sheet's XML is first scanned as it
  decompresses for formula and error cells (:func:`scan_sheet`); such a cell is a problem for that cell,
  and its value is blank. A formula in a cell without a reference (no writer we know does that), or a sheet
  whose cells span more than calamine should hold (it keeps a dense grid), makes that sheet parsed with
  ``iterparse`` instead, row by row. A sheet named ``CSV`` (a CSV's marked copy,
  corrected in Excel) is read as the CSV form. The template's own sheets and a marked copy's Errors sheet
  are skipped; any other unknown sheet is a problem of the file.
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
import html
import itertools
import operator
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from . import columns as upload_columns
from . import values as upload_values
from .columns import REFERENCE
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

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW, _VALUE, _FORMULA, _INLINE, _TEXT, _RUN = (f"{_MAIN}{name}" for name in ("row", "v", "f", "is", "t", "r"))
_LETTERS = re.compile(r"[A-Z]+")
_CHUNK = 1024 * 1024


@dataclass
class CellProblem:
    """What is wrong at one cell (or, with ``row`` 1 and a header, one column), and what to do about it."""

    sheet: str
    row: int
    column: str
    field: str
    message: str


@dataclass
class Record:
    """One row of one part as read: ``values`` by field name (blank cells ``None``; vocabulary terms as typed),
    ``cells`` the column letter or CSV header of each field, ``row`` as the spreadsheet numbers it (1-based)."""

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


def _too_many_rows(sheet: str) -> UploadRefused:
    return UploadRefused(
        _("The sheet %(sheet)s has more than %(limit)s rows: split the file into several uploads.")
        % {"sheet": sheet, "limit": f"{settings.RILO_UPLOAD_MAX_ROWS:,}"}
    )


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
        return Record(part=self.part, sheet=CSV_SHEET, row=row, values=values, cells=dict(self.where))


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
            raise _too_many_rows(CSV_SHEET)
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
                cells=dict(report_layout.where),
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
# XLSX


def _member(base: str, target: str) -> str:
    """A relationship's target as a zip member name (targets are relative to ``base`` unless they start with /)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in PurePosixPath(base, target).parts:
        if piece == "..":
            if parts:
                parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _parse(stream: IO[bytes]) -> Iterator[tuple[str, ElementTree.Element]]:
    """``iterparse`` of a part that refuses document type declarations (no entity of any kind is expanded)."""
    parser = ElementTree.XMLPullParser(events=("end",))
    checked = False
    while chunk := stream.read(_CHUNK):
        if not checked:
            if b"<!DOCTYPE" in chunk[:4096] or b"<!ENTITY" in chunk[:4096]:
                raise UploadRefused(_("This workbook holds XML that is never read here: save it again in Excel."))
            checked = True
        parser.feed(chunk)
        yield from parser.read_events()  # type: ignore[misc]
    parser.close()
    yield from parser.read_events()  # type: ignore[misc]


def workbook_sheets(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], bool]:
    """The workbook's sheets in order as (title, zip member), and whether it counts dates from 1904."""
    relationships: dict[str, str] = {}
    with archive.open("xl/_rels/workbook.xml.rels") as stream:
        for _event, element in _parse(stream):
            if element.tag == f"{_PACKAGE_REL}Relationship":
                relationships[element.get("Id", "")] = _member("xl", element.get("Target", ""))
    sheets: list[tuple[str, str]] = []
    date1904 = False
    with archive.open("xl/workbook.xml") as stream:
        for _event, element in _parse(stream):
            if element.tag == f"{_MAIN}sheet":
                target = relationships.get(element.get(f"{_REL}id", ""))
                if target:
                    sheets.append((element.get("name", ""), target))
            elif element.tag == f"{_MAIN}workbookPr":
                date1904 = element.get("date1904", "0").lower() in ("1", "true")
    return sheets, date1904


def shared_strings(archive: zipfile.ZipFile) -> list[str]:
    names = set(archive.namelist())
    strings: list[str] = []
    if "xl/sharedStrings.xml" not in names:
        return strings
    with archive.open("xl/sharedStrings.xml") as stream:
        for _event, element in _parse(stream):
            if element.tag == f"{_MAIN}si":
                strings.append(_inline_text(element))
                element.clear()
    return strings


def _inline_text(element: ElementTree.Element) -> str:
    """The text of a string item: its ``t``, or its runs' ``t`` joined (phonetic guides left out)."""
    direct = element.find(_TEXT)
    if direct is not None:
        return direct.text or ""
    return "".join((run.findtext(_TEXT) or "") for run in element.iter(_RUN))


_COLUMN_INDEX: dict[str, int] = {}


def column_index(letters: str) -> int:
    """The 0-based index of a column given by its letters (``A`` 0, ``AA`` 26)."""
    index = _COLUMN_INDEX.get(letters)
    if index is None:
        index = 0
        for letter in letters:
            index = index * 26 + ord(letter) - 64
        index = _COLUMN_INDEX[letters] = index - 1
    return index


def column_letters(index: int) -> str:
    """The letters of the 0-based column ``index``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def parsed_sheet_rows(
    archive: zipfile.ZipFile, member: str, strings: list[str]
) -> Iterator[tuple[int, dict[int, Any], dict[int, str]]]:
    """Each row of a sheet as (row number, raw value by column index, formula or error text by column index)."""
    expected_row = 0
    with archive.open(member) as stream:
        for _event, element in _parse(stream):
            if element.tag != _ROW:
                continue
            given_row = element.get("r")
            row = int(given_row) if given_row else expected_row + 1
            expected_row = row
            cells: dict[int, Any] = {}
            marked: dict[int, str] = {}
            position = -1
            for cell in element:
                reference = cell.get("r")
                position = column_index(_LETTERS.match(reference).group()) if reference else position + 1  # type: ignore[union-attr]
                kind = cell.get("t")
                value: Any = None
                for child in cell:
                    tag = child.tag
                    if tag == _VALUE:
                        value = child.text
                    elif tag == _FORMULA:
                        marked[position] = "=" + (child.text or "")
                    elif tag == _INLINE:
                        value = _inline_text(child)
                if position in marked:
                    continue
                if value is None or value == "":
                    continue
                if kind == "s":
                    value = strings[int(value)]
                elif kind == "e":
                    marked[position] = value
                    continue
                elif kind == "b":
                    value = "TRUE" if value == "1" else "FALSE"
                elif kind is None or kind == "n":
                    value = upload_values.ExcelNumber(value)
                cells[position] = value
            element.clear()
            yield row, cells, marked


# A formula (``<f>``, prefixed or not) or an error value (``t="e"``) in a sheet's XML; the cell's start tag; its
# reference. Found in the raw bytes, so that the fast reader (which gives neither) can be told which cells they are.
_MARKER = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?f[\s>/]|\st="e"')
_REFERENCE = re.compile(rb'\sr="([A-Z]+)([0-9]+)"')
_FORMULA_TEXT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f\b[^>]*?(?:/>|>(.*?)</)", re.S)
_ROW_NUMBER = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*?\sr="([0-9]{1,9})"')
# Row numbers of six digits or more (at least 100,000): only then are a sheet's row numbers all looked at.
_LONG_ROW_NUMBER = re.compile(rb'row\b[^>]*?\sr="[0-9]{6}')
# Cell references beyond column Z, and beyond column CZ: two letters from DA, or three (a literal start: fast).
_TWO_LETTERS = re.compile(rb'r="[A-Z]{2}')
_WIDE_REFERENCE = re.compile(rb'r="(?:[D-Z][A-Z]|[A-Z]{3})[0-9]')
# The most cells (rows times columns, blank ones included) a sheet may span to be read by calamine.
CALAMINE_MAX_CELLS = 12_000_000
_ERROR_TEXT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>(.*?)</", re.S)


def _may_be_marked(region: bytes) -> bool:
    """Whether ``region`` may hold a formula or an error cell (plain byte searches, far faster than the regex)."""
    return (b"<f" in region or b":f" in region or b't="e"' in region) and _MARKER.search(region) is not None


def _marked_in(region: bytes, marked: dict[tuple[int, int], str]) -> bool:
    """Add the formula and error cells of ``region`` (whole rows of sheet XML) to ``marked`` by (row, column
    index); ``False`` when one of them has no cell reference (its place is then only known by parsing)."""
    for found in _MARKER.finditer(region):
        at = found.start() + 1
        start = max(region.rfind(b"<c ", 0, at), region.rfind(b":c ", 0, at), region.rfind(b"<c>", 0, at))
        end = region.find(b">", start)
        reference = _REFERENCE.search(region, start, end + 1) if start >= 0 else None
        if reference is None:
            return False
        place = (int(reference.group(2)), column_index(reference.group(1).decode()))
        if place in marked:
            continue
        closing = region.find(b"</", end)
        body = region[end + 1 : closing + 64] if closing >= 0 else b""
        if found.group().endswith(b'"'):
            error = _ERROR_TEXT.search(body)
            marked[place] = html.unescape((error.group(1) if error else b"#VALUE!").decode("utf-8", "replace"))
        else:
            formula = _FORMULA_TEXT.search(region, found.start())
            text = formula.group(1) if formula and formula.group(1) else b""
            marked[place] = "=" + html.unescape(text.decode("utf-8", "replace"))
    return True


@dataclass
class SheetScan:
    """What the scan of a sheet's XML found: its formula and error cells by (row, column index) (``None`` when
    one has no cell reference), and the extent calamine would hold in memory, every cell of it."""

    marked: dict[tuple[int, int], str] | None
    rows: int
    columns: int

    @property
    def fits_calamine(self) -> bool:
        """Whether calamine may read the sheet: it keeps a dense grid from A1 to the last cell, so a sheet of two
        cells, A1 and XFD1048576, would take tens of gigabytes (such a sheet is parsed row by row instead)."""
        return self.marked is not None and self.rows * self.columns <= CALAMINE_MAX_CELLS


def scan_sheet(archive: zipfile.ZipFile, member: str) -> SheetScan:
    """Scan a sheet's XML as it decompresses, for formula and error cells and for the sheet's extent."""
    marked: dict[tuple[int, int], str] | None = {}
    last_row = row_elements = 0
    columns = 26  # up to Z, until a reference says wider
    carry = b""
    with archive.open(member) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            buffer = carry + chunk
            if chunk:
                cut = buffer.rfind(b"</row>") + len(b"</row>")
                if cut < len(b"</row>"):  # no row ends in it yet
                    carry = buffer
                    continue
                region, carry = buffer[:cut], buffer[cut:]
            else:  # the end: whatever is left
                region, carry = buffer, b""
            if marked is not None and _may_be_marked(region) and not _marked_in(region, marked):
                marked = None
            if _LONG_ROW_NUMBER.search(region):
                last_row = max(last_row, *map(int, _ROW_NUMBER.findall(region)))
            row_elements += region.count(b"<row") + region.count(b":row")
            if columns < 104 and _TWO_LETTERS.search(region):
                columns = 104  # up to CZ: as wide as the widest layout read (the CSV form's)
            if 104 <= columns < 16384:
                for wide in _WIDE_REFERENCE.finditer(region):  # none in a sheet of the layouts read
                    columns = max(columns, 16384 if wide.group()[5:6].isalpha() else 702)  # AAA… reach XFD
                    if columns == 16384:
                        break
            if not chunk:
                break
    return SheetScan(marked=marked, rows=max(last_row, row_elements), columns=columns)


def _calamine_rows(
    workbook: CalamineWorkbook, title: str, marked: dict[tuple[int, int], str]
) -> Iterator[tuple[int, dict[int, Any], dict[int, str]]]:
    """Each row of a sheet read by calamine, as :func:`parsed_sheet_rows` gives them (formula and error cells from
    ``marked``: calamine gives their cached result, or nothing)."""
    sheet = workbook.get_sheet_by_name(title)
    offset = sheet.start[1] if sheet.start else 0
    by_row: dict[int, dict[int, str]] = {}
    for (row, column), text in marked.items():
        by_row.setdefault(row, {})[column] = text
    for number, values in enumerate(sheet.iter_rows(), start=1):
        cells = {offset + index: value for index, value in enumerate(values) if value != ""}
        row_marked = by_row.get(number, {})
        for column in row_marked:
            cells.pop(column, None)
        yield number, cells, row_marked


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
                        rows = _calamine_rows(workbook, title, {})
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
                    rows = _calamine_rows(workbook, title, scan.marked)
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
            raise _too_many_rows(title)
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
        yield Record(part=part, sheet=title, row=row, values=values, cells=dict(where), problems=problems)


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
