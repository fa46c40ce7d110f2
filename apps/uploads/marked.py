"""The marked copy of an upload: the officer's own rows, each faulty cell coloured and commented with what to do.

A workbook is copied sheet by sheet (values as typed: text stays text, a formula is shown as its text, never
as a formula); a CSV becomes a workbook with one sheet, ``CSV``, holding its rows in the file's order (the
reader reads that sheet back as the CSV form, so the corrected copy can be uploaded as it is). Every cell with
a problem gets a red ground and a comment with its messages; a problem of a whole row marks its first cell. A
first sheet, "Errors", lists every problem: sheet, row, column and message, in the order given.

Only the sheets the check reads are copied (the template's read-me and lists, and any sheet the check leaves
aside, are not: the errors sheet says they are not read), no more rows than the row limit allows.

The copy is written as it is read, a row at a time, by a small writer of its own (several times faster than
openpyxl's write-only mode, which costs a Python object per cell), into a temporary file that the response
streams: memory holds the comments, not the rows nor the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from python_calamine import CalamineWorkbook

from apps.reports.choices import FormVariant

from . import columns as upload_columns
from .cells import CSV_SHEET, CellProblem
from .reading_csv import SEPARATORS, detect_encoding
from .sheets import (
    column_index,
    column_letters,
    parsed_sheet_rows,
    scan_sheet,
    shared_strings,
    unnamed_parts_scanned,
    workbook_sheets,
)
from .sniffing import CSV, XLSX, UploadRefused, check_zip
from .values import ExcelNumber

FAULT_FILL = "FFC7CE"
FAULT_FONT = "9C0006"
COMMENT_AUTHOR = "RILO"
_LETTERS = re.compile(r"^[A-Z]{1,3}$")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Cell styles of styles.xml: 0 plain, 1 faulty, 2 date, 3 date and time, 4 time, 5 bold (headers).
_FAULT, _DATE, _DATETIME, _TIME, _BOLD = "1", "2", "3", "4", "5"
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;"})
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument"
_STYLES = (
    f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
    f'<font><sz val="11"/><color rgb="FF{FAULT_FONT}"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    f'<fill><patternFill patternType="solid"><fgColor rgb="FF{FAULT_FILL}"/><bgColor indexed="64"/></patternFill>'
    "</fill></fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="20" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
_VML_START = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/>'
    '</o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/>'
    "</v:shapetype>"
)

# Problems by sheet and row: column (letters or CSV header; "" for the whole row) -> messages.
_Index = dict[tuple[str, int], dict[str, list[str]]]
# A row of the copy: its values, and the messages of its marked cells by column index (None: none marked).
_MarkedRow = tuple[list[Any], dict[int, list[str]] | None]
_NEEDS_ESCAPING = re.compile('[&<>"\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')


def _index(problems: Iterable[CellProblem]) -> tuple[_Index, list[CellProblem]]:
    by_cell: _Index = defaultdict(lambda: defaultdict(list))
    listed = []
    for problem in problems:
        by_cell[problem.sheet, problem.row][problem.column].append(problem.message)
        listed.append(problem)
    return by_cell, listed


def _escaped(text: str) -> str:
    return _ILLEGAL.sub("", text).translate(_ESCAPES)


_LETTERS_OF: list[str] = []


def _letters(index: int) -> str:
    while len(_LETTERS_OF) <= index:
        _LETTERS_OF.append(column_letters(len(_LETTERS_OF)))
    return _LETTERS_OF[index]


def _cell_xml(reference: str, value: Any, style: str | None) -> str:
    """One cell: text as an inline string (never a formula), numbers, booleans, dates as date serials."""
    kind = type(value)
    if kind is bool:
        body, attributes = f"<v>{int(value)}</v>", ' t="b"'
    elif kind in (int, float) and (kind is int or math.isfinite(value)):
        body, attributes = f"<v>{value!r}</v>", ""
    elif kind in (dt.datetime, dt.date):
        moment = value if kind is dt.datetime else dt.datetime.combine(value, dt.time())
        serial = (moment - _EXCEL_EPOCH) / dt.timedelta(days=1)
        body, attributes = f"<v>{serial!r}</v>", ""
        style = style or (_DATETIME if kind is dt.datetime and moment.time() != dt.time() else _DATE)
    elif kind is dt.time:
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        body, attributes, style = f"<v>{seconds / 86400!r}</v>", "", style or _TIME
    else:
        body = f'<is><t xml:space="preserve">{_escaped(str(value))}</t></is>'
        attributes = ' t="inlineStr"'
    styled = f' s="{style}"' if style else ""
    return f'<c r="{reference}"{styled}{attributes}>{body}</c>'


class _Writer:
    """A workbook written sheet by sheet, a row at a time, with comments on marked cells."""

    def __init__(self, target: IO[bytes]) -> None:
        self.archive = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[tuple[str, bool, bool]] = []  # (title, hidden, has comments)

    def sheet(self, title: str, rows: Iterable[_MarkedRow], *, hidden: bool = False) -> None:
        """Write a sheet of ``rows``: each its values and the messages of its marked cells by column index."""
        number = len(self.sheets) + 1
        comments: list[tuple[int, int, str]] = []
        info = zipfile.ZipInfo(f"xl/worksheets/sheet{number}.xml", date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with self.archive.open(info, mode="w", force_zip64=True) as stream:
            stream.write(f'<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheetData>'.encode())
            pending: list[str] = []
            for row_number, (values, marks) in enumerate(rows, start=1):
                header = row_number == 1 and number == 1
                parts = []
                for index, value in enumerate(values):
                    if marks is None or index not in marks:
                        if value is None or value == "":
                            continue
                        if type(value) is str and not header:  # the common case, without a call
                            text = _escaped(value) if _NEEDS_ESCAPING.search(value) else value
                            parts.append(
                                f'<c r="{_letters(index)}{row_number}" t="inlineStr"><is><t xml:space="preserve">'
                                f"{text}</t></is></c>"
                            )
                            continue
                        style = _BOLD if header else None
                    else:
                        comments.append((row_number - 1, index, "\n".join(dict.fromkeys(marks[index]))))
                        style = _FAULT
                    parts.append(_cell_xml(f"{_letters(index)}{row_number}", "" if value is None else value, style))
                if parts:
                    pending.append(f'<row r="{row_number}">{"".join(parts)}</row>')
                if len(pending) >= 500:
                    stream.write("".join(pending).encode())
                    pending.clear()
            stream.write("".join(pending).encode())
            stream.write(b"</sheetData>")
            if comments:
                stream.write(b'<legacyDrawing r:id="rId2"/>')
            stream.write(b"</worksheet>")
        self.sheets.append((title, hidden, bool(comments)))
        if comments:
            self._comments(number, comments)

    def _comments(self, number: int, comments: list[tuple[int, int, str]]) -> None:
        listed = "".join(
            f'<comment ref="{_letters(column)}{row + 1}" authorId="0"><text><t xml:space="preserve">'
            f"{_escaped(text)}</t></text></comment>"
            for row, column, text in comments
        )
        self.archive.writestr(
            f"xl/comments{number}.xml",
            f'<comments xmlns="{_MAIN}"><authors><author>{COMMENT_AUTHOR}</author></authors>'
            f"<commentList>{listed}</commentList></comments>",
        )
        shapes = "".join(
            f'<v:shape id="_x0000_s{1025 + index}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
            'margin-top:1.5pt;width:240pt;height:90pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" '
            'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left"/>'
            '</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{column}</x:Column></x:ClientData>"
            "</v:shape>"
            for index, (row, column, _text) in enumerate(comments)
        )
        self.archive.writestr(f"xl/drawings/vmlDrawing{number}.vml", f"{_VML_START}{shapes}</xml>")
        self.archive.writestr(
            f"xl/worksheets/_rels/sheet{number}.xml.rels",
            f'<Relationships xmlns="{_PACKAGE}">'
            f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/comments" Target="../comments{number}.xml"/>'
            f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/vmlDrawing" '
            f'Target="../drawings/vmlDrawing{number}.vml"/></Relationships>',
        )

    def close(self) -> None:
        """Write the workbook's own parts."""
        hidden_state = ' state="hidden"'
        sheets = "".join(
            f'<sheet name="{_escaped(title[:31])}" sheetId="{number}"{hidden_state if hidden else ""} '
            f'r:id="rId{number}"/>'
            for number, (title, hidden, _comments) in enumerate(self.sheets, start=1)
        )
        workbook = f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheets>{sheets}</sheets></workbook>'
        self.archive.writestr("xl/workbook.xml", workbook)
        count = len(self.sheets)
        relationships = "".join(
            f'<Relationship Id="rId{number}" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet{number}.xml"/>'
            for number in range(1, count + 1)
        )
        self.archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PACKAGE}">{relationships}'
            f'<Relationship Id="rId{count + 1}" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>',
        )
        self.archive.writestr("xl/styles.xml", _STYLES)
        self.archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.spreadsheetml.sheet.main+xml"/>']
        overrides.append(f'<Override PartName="/xl/styles.xml" ContentType="{_TYPES}.spreadsheetml.styles+xml"/>')
        for number, (_title, _hidden, commented) in enumerate(self.sheets, start=1):
            overrides.append(
                f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
                f'ContentType="{_TYPES}.spreadsheetml.worksheet+xml"/>'
            )
            if commented:
                overrides.append(
                    f'<Override PartName="/xl/comments{number}.xml" ContentType="{_TYPES}.spreadsheetml.comments+xml"/>'
                )
        self.archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Default Extension="vml" ContentType="{_TYPES}.vmlDrawing"/>{"".join(overrides)}</Types>',
        )
        self.archive.close()


def _marked_rows(title: str, rows: Iterator[list[Any]], by_cell: _Index, *, headers_name: bool) -> Iterator[_MarkedRow]:
    """``rows`` (row 1 first) with the messages ``by_cell`` gives by column index (a whole row's at its first
    cell). ``headers_name``: the problems name columns by their header (a CSV form), else by their letters."""
    positions: dict[str, int] = {}
    limit, filled = settings.RILO_UPLOAD_MAX_ROWS + 1, 0  # the headers' row, then as many as the check reads
    for number, values in enumerate(rows, start=1):
        if values and any(value is not None and value != "" for value in values):
            filled += 1
            if filled > limit:
                raise UploadRefused(
                    ngettext(
                        "The sheet %(sheet)s has more than %(limit)s row: split it into several uploads.",
                        "The sheet %(sheet)s has more than %(limit)s rows: split it into several uploads.",
                        settings.RILO_UPLOAD_MAX_ROWS,
                    )
                    % {"sheet": title, "limit": number_format(settings.RILO_UPLOAD_MAX_ROWS, force_grouping=True)}
                )
        if number == 1 and headers_name:
            positions = {str(value): index for index, value in enumerate(values) if value not in (None, "")}
        marks = by_cell.get((title, number))
        if not marks:
            yield values, None
            continue
        at: dict[int, list[str]] = defaultdict(list)
        for column, messages in marks.items():
            if not column:
                index = 0
            elif not headers_name and _LETTERS.match(column):
                index = column_index(column)
            else:
                index = positions.get(column, 0)
            at[index].extend(messages)
        width = max(len(values), max(at) + 1)
        yield list(values) + [None] * (width - len(values)), at


def _csv_rows(path: Path, encoding: str | None, separator: str | None) -> Iterator[list[Any]]:
    codec = encoding or detect_encoding(path)
    with path.open(encoding=codec, newline="", errors="replace") as stream:
        first = stream.readline()
        separator = separator or max(SEPARATORS, key=first.count)
        yield from csv.reader(itertools.chain([first], stream), delimiter=separator)


def read_sheets(sheets: Iterable[tuple[str, str]], *, variant: str) -> list[tuple[str, str]]:
    """The sheets of ``sheets`` (title, member) the check reads, as :func:`apps.uploads.reading.read_upload`
    chooses them: a CSV form's sheet coming first, else the first sheet of each part of ``variant``."""
    wanted = upload_columns.sheet_parts(variant=variant)
    found: set[str] = set()
    chosen = []
    for title, member in sheets:
        if upload_columns.normalised_header(title) == CSV_SHEET.casefold() and not found:
            found.add("report")
            chosen.append((title, member))
            continue
        part = upload_columns.part_for_sheet(title)
        if part is None or part not in wanted or part in found:
            continue
        found.add(part)
        chosen.append((title, member))
    return chosen


def _xlsx_sheets(path: Path, *, variant: str) -> Iterator[tuple[str, bool, Iterator[list[Any]]]]:
    """Each sheet of a workbook the check reads as (title, hidden, rows from row 1), formula and error cells as
    their text (the shared strings are parsed once, for the sheets calamine does not read)."""
    with zipfile.ZipFile(path) as archive:
        # As the check reads it: every part checked (and whatever calamine might open as a sheet, scanned) first.
        check_zip(archive)
        sheets = workbook_sheets(archive)[0]
        unnamed_parts_scanned(archive, {member for _title, member in sheets})
        workbook = CalamineWorkbook.from_path(str(path))
        hidden = {
            metadata.name
            for metadata in workbook.sheets_metadata
            if str(metadata.visible).rsplit(".", 1)[-1] != "Visible"
        }
        strings: list[str] | None = None
        for title, member in read_sheets(sheets, variant=variant):
            scan = scan_sheet(archive, member)
            if scan.marked is None or not scan.fits_calamine:
                # A formula without a cell reference, or a sheet too sparse for calamine: parsed row by row.
                strings = shared_strings(archive) if strings is None else strings
                rows = _parsed_values(archive, member, strings)
            else:
                rows = _calamine_values(workbook, title, scan.marked)
            yield title, title in hidden, rows


def _parsed_values(archive: zipfile.ZipFile, member: str, strings: list[str]) -> Iterator[list[Any]]:
    """The rows of a sheet parsed with ``iterparse``, from row 1 (numbers as numbers, formulas as their text)."""
    expected = 1
    for number, cells, marked in parsed_sheet_rows(archive, member, strings):
        while expected < number:
            expected += 1
            yield []
        expected = number + 1
        row: list[Any] = [None] * (max([*cells, *marked], default=-1) + 1)
        for index, value in cells.items():
            row[index] = float(value) if isinstance(value, ExcelNumber) else value
        for index, text in marked.items():
            row[index] = text
        yield row


def _calamine_values(workbook: CalamineWorkbook, title: str, marked: dict[tuple[int, int], str]) -> Iterator[list[Any]]:
    sheet = workbook.get_sheet_by_name(title)
    offset = sheet.start[1] if sheet.start else 0
    by_row: dict[int, dict[int, str]] = defaultdict(dict)
    for (marked_row, column), text in marked.items():
        by_row[marked_row][column] = text
    for number, values in enumerate(sheet.iter_rows(), start=1):
        row: list[Any] = [None] * offset + [None if value == "" else value for value in values]
        for column, text in by_row.get(number, {}).items():
            row.extend([None] * (column + 1 - len(row)))
            row[column] = text
        yield row


def marked_copy(
    path: Path,
    *,
    format: str,
    problems: Iterable[CellProblem],
    encoding: str | None = None,
    separator: str | None = None,
    variant: str = FormVariant.FULL,
) -> bytes:
    """The XLSX bytes of :func:`marked_copy_file` (for a copy known to be small)."""
    with marked_copy_file(
        path, format=format, problems=problems, encoding=encoding, separator=separator, variant=variant
    ) as copy:
        return copy.read()


def marked_copy_file(
    path: Path,
    *,
    format: str,
    problems: Iterable[CellProblem],
    encoding: str | None = None,
    separator: str | None = None,
    variant: str = FormVariant.FULL,
) -> IO[bytes]:
    """The marked copy of the upload at ``path`` (``format`` "xlsx" or "csv"; a CSV's codec and separator as
    reading found them in :class:`~apps.uploads.cells.ReadSummary`, else found again; a workbook's sheets
    those the check of ``variant`` reads), with every problem of ``problems`` at its cell and on the Errors
    sheet: an anonymous temporary file, at its start, deleted once closed (:class:`UploadRefused` past the row
    limit)."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    try:
        _write_copy(target, path, format, problems, encoding=encoding, separator=separator, variant=variant)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target


def _write_copy(
    target: IO[bytes],
    path: Path,
    format: str,
    problems: Iterable[CellProblem],
    *,
    encoding: str | None,
    separator: str | None,
    variant: str,
) -> None:
    by_cell, listed = _index(problems)
    writer = _Writer(target)
    try:
        _write_sheets(writer, path, format, by_cell, listed, encoding=encoding, separator=separator, variant=variant)
    finally:
        writer.close()


def _write_sheets(
    writer: _Writer,
    path: Path,
    format: str,
    by_cell: _Index,
    listed: list[CellProblem],
    *,
    encoding: str | None,
    separator: str | None,
    variant: str,
) -> None:
    header = [_("Sheet"), _("Row"), _("Column"), _("Field"), _("What to do")]
    errors: list[_MarkedRow] = [(header, None)]
    errors.extend(
        ([problem.sheet, problem.row, problem.column, problem.field, problem.message], None) for problem in listed
    )
    writer.sheet(str(upload_columns.ERRORS_SHEET)[:31], errors)
    if format == CSV:
        rows = _csv_rows(path, encoding, separator)
        writer.sheet(CSV_SHEET, _marked_rows(CSV_SHEET, rows, by_cell, headers_name=True))
    elif format == XLSX:
        for title, hidden, rows in _xlsx_sheets(path, variant=variant):
            marked_rows = _marked_rows(title, rows, by_cell, headers_name=title == CSV_SHEET)
            writer.sheet(title, marked_rows, hidden=hidden)
    else:
        raise ValueError(f"Unknown upload format {format!r}.")
