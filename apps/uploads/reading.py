"""Reading an upload row by row: XLSX sheets or a CSV, streamed, into :class:`Record` objects.

A record is one row of one part (a report, an item, a route step, a conveyance, a person or company) with
its values converted for the one validator (:mod:`apps.uploads.values`) and, per field, the cell it came
from (a column letter, or a CSV header) so that every error is shown at its cell. Nothing is checked here
but what only the file can tell: a formula or an error value in a cell, an unknown or repeated column, a
missing required column, a sheet that holds no part, too many rows.

- **XLSX** sheets are parsed as they are decompressed (the sheet XML with ``iterparse``; one row in memory
  at a time, plus the workbook's shared strings). Formulas are never evaluated nor their cached results
  taken: a cell holding one is a problem for that cell, and its value is blank.
- **CSV**: UTF-8 with or without a byte-order mark, UTF-16 (with a byte-order mark, or detected) or
  Windows-1252, detected unless the user chose; the separator (``,`` ``;`` or tab) is the one that makes
  the most headers known. A cell starting with ``= + - @`` is text like any other (the exports neutralise
  such cells). The columns are those of :func:`apps.uploads.columns.csv_columns`: each row gives a report
  record and an item record, and on the first row of a report that has them its route steps, conveyances
  and persons or companies.

A row limit (``RILO_UPLOAD_MAX_ROWS`` per sheet) refuses the upload as soon as it is passed
(:class:`~apps.uploads.sniffing.UploadRefused` raised while iterating). A cell with a problem is left out of
the record's values. Problems of the file as a whole (headers, sheets, no rows) are in the
:class:`ReadSummary`, complete once the records are consumed.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _

from . import columns as upload_columns
from . import values as upload_values
from .columns import REFERENCE, Column
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
_ROW, _CELL, _VALUE, _FORMULA, _INLINE, _TEXT, _RUN = (
    f"{_MAIN}{name}" for name in ("row", "c", "v", "f", "is", "t", "r")
)
_PHONETIC = f"{_MAIN}rPh"
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


@dataclass
class _Group:
    """The columns of one numbered route step, conveyance or party of a CSV row."""

    part: str
    number: int
    positions: list[tuple[int, Column, upload_values.Converter]]


def _csv_records(reader: Iterator[list[str]], *, variant: str, summary: ReadSummary) -> Iterator[tuple[int, Record]]:
    headers = next(reader, None)
    if headers is None:
        summary.problems.append(CellProblem(CSV_SHEET, 1, "", "", _("The file has no header row.")))
        return
    match = upload_columns.match_headers("csv", headers, variant=variant)
    summary.problems.extend(_header_problems(CSV_SHEET, match))
    own: dict[str, list[tuple[int, Column, upload_values.Converter]]] = {"report": [], "item": []}
    groups: dict[tuple[str, int], _Group] = {}
    for position, column in enumerate(match.columns):
        if column is None:
            continue
        converter = upload_values.converter(column.field)
        if column.group:
            group = groups.setdefault((column.part, column.group), _Group(column.part, column.group, []))
            group.positions.append((position, column, converter))
        else:
            own[column.part].append((position, column, converter))
    reference_at = next((pos for pos, column in enumerate(match.columns) if column and column.key == REFERENCE), None)
    report_columns, item_columns = own["report"], own["item"]
    item_reference = [c for c in report_columns if c[1].key == REFERENCE]
    width = len(headers)
    limit = settings.RILO_UPLOAD_MAX_ROWS
    # The first row that gave each report's groups, and what they were: later rows repeat them or leave them blank.
    first_groups: dict[str, tuple[int, tuple[Any, ...]]] = {}
    rows = {"report": 0, "item": 0, **dict.fromkeys(upload_columns.CSV_GROUPS, 0)}
    data_rows = 0
    for row_number, cells in enumerate(reader, start=2):
        if not any(cells):
            continue
        data_rows += 1
        if data_rows > limit:
            raise _too_many_rows(CSV_SHEET)
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        problems: list[CellProblem] = []
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            problems.append(
                CellProblem(CSV_SHEET, row_number, "", "", _("This row has more cells than the file has headers."))
            )
        report = _csv_record("report", report_columns, cells, headers, row_number)
        report.problems = problems
        rows["report"] += 1
        yield row_number, report
        item = _csv_record("item", item_reference + item_columns, cells, headers, row_number)
        if any(value is not None for name, value in item.values.items() if name != REFERENCE):
            rows["item"] += 1
            yield row_number, item
        if not groups:
            continue
        reference = cells[reference_at].strip() if reference_at is not None else ""
        given = tuple(cells[position].strip() for group in groups.values() for position, _c, _v in group.positions)
        if not any(given):
            continue
        if reference in first_groups:
            first_row, first_given = first_groups[reference]
            if given != first_given:
                report.problems.append(
                    CellProblem(
                        CSV_SHEET,
                        row_number,
                        "",
                        "",
                        _(
                            "The route, conveyances or persons differ from row %(row)s of the same national "
                            "reference: give them once per report (repeat them alike or leave them blank)."
                        )
                        % {"row": first_row},
                    )
                )
            continue
        first_groups[reference] = (row_number, given)
        for group in groups.values():
            record = _csv_record(group.part, item_reference + group.positions, cells, headers, row_number)
            if any(value is not None for name, value in record.values.items() if name != REFERENCE):
                rows[group.part] += 1
                yield row_number, record
    summary.rows = {part: count for part, count in rows.items() if count or part in ("report", "item")}
    if data_rows == 0:
        summary.problems.append(CellProblem(CSV_SHEET, 1, "", "", _("The file has no rows below its headers.")))


def _csv_record(
    part: str,
    positions: list[tuple[int, Column, upload_values.Converter]],
    cells: list[str],
    headers: list[str],
    row: int,
) -> Record:
    values: dict[str, Any] = {}
    where: dict[str, str] = {}
    for position, column, converter in positions:
        cell = cells[position]
        name = column.field.name
        values[name] = converter(cell) if cell and not cell.isspace() else None
        where[name] = headers[position]
    return Record(part=part, sheet=CSV_SHEET, row=row, values=values, cells=where)


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


def _workbook(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], bool]:
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


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
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


def _sheet_rows(
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


def _read_xlsx(path: Path, *, variant: str, summary: ReadSummary) -> Iterator[Record]:
    try:
        with zipfile.ZipFile(path) as archive:
            sheets, date1904 = _workbook(archive)
            strings = _shared_strings(archive)
            wanted = upload_columns.sheet_parts(variant=variant)
            found: set[str] = set()
            for title, member in sheets:
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
                yield from _sheet_records(
                    archive, member, title, part, strings, variant=variant, date1904=date1904, summary=summary
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
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError) as error:
        raise UploadRefused(_("This workbook is damaged and cannot be read: save it again in Excel.")) from error


def _formula_message(text: str) -> str:
    if text.startswith("="):
        return _(
            "This cell holds a formula (%(formula)s), which is never run: type the value itself "
            "(in Excel: copy, then paste as values)."
        ) % {"formula": text[:60]}
    return _("This cell holds the error %(error)s: type the value itself.") % {"error": text}


def _sheet_records(
    archive: zipfile.ZipFile,
    member: str,
    title: str,
    part: str,
    strings: list[str],
    *,
    variant: str,
    date1904: bool,
    summary: ReadSummary,
) -> Iterator[Record]:
    limit = settings.RILO_UPLOAD_MAX_ROWS
    convert = upload_values.converter
    count = 0
    layout: list[tuple[int, str, str, upload_values.Converter]] | None = None
    summary.rows.setdefault(part, 0)
    for row, cells, marked in _sheet_rows(archive, member, strings):
        if layout is None:
            if not cells and not marked:
                continue  # blank rows above the headers
            width = max([*cells, *marked]) + 1
            headers = [str(cells.get(index, "") or "") for index in range(width)]
            match = upload_columns.match_headers(part, headers, variant=variant)
            problems = _header_problems(title, match)
            for problem in problems:
                if problem.column in headers:
                    problem.column = column_letters(headers.index(problem.column))
            summary.problems.extend(problems)
            layout = [
                (index, column.field.name, column_letters(index), convert(column.field, date1904=date1904))
                for index, column in enumerate(match.columns)
                if column is not None
            ]
            continue
        if not cells and not marked:
            continue
        count += 1
        if count > limit:
            raise _too_many_rows(title)
        values: dict[str, Any] = {}
        where: dict[str, str] = {}
        problems = []
        for index, name, letters, converter in layout:
            where[name] = letters
            raw = cells.get(index)
            if index in marked:
                values[name] = None
                problems.append(CellProblem(title, row, letters, name, _formula_message(marked[index])))
            elif raw is None or (isinstance(raw, str) and raw.isspace()):
                values[name] = None
            else:
                values[name] = converter(raw)
        if not any(value is not None for value in values.values()) and not problems:
            continue  # a row with cells only in unknown columns: reported with the headers
        summary.rows[part] += 1
        yield Record(part=part, sheet=title, row=row, values=values, cells=where, problems=problems)
