"""The marked copy of an upload: the officer's own rows, each faulty cell coloured and commented with what to do.

A workbook is copied sheet by sheet (values as typed: text stays text, a formula is shown as its text, never
as a formula); a CSV becomes a workbook with one sheet, ``CSV``, holding its rows in the file's order (the
reader reads that sheet back as the CSV form, so the corrected copy can be uploaded as it is). Every cell with
a problem gets a red ground and a comment with its messages; a problem of a whole row marks its first cell. A
first sheet, "Errors", lists every problem: sheet, row, column and message, in the order given.

The copy is written as it is read, a row at a time, by a small writer of its own (several times faster than
openpyxl's write-only mode, which costs a Python object per cell): memory holds the comments, not the rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from . import columns as upload_columns
from .reading import CSV_SHEET, CellProblem, _marked_cells, _workbook, column_index, column_letters, detect_encoding
from .sniffing import CSV, XLSX

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

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.archive = zipfile.ZipFile(self.buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[tuple[str, bool, bool]] = []  # (title, hidden, has comments)

    def sheet(self, title: str, rows: Iterable[list[tuple[Any, list[str] | None]]], *, hidden: bool = False) -> None:
        """Write a sheet of ``rows``: each a list of (value, messages or None); messages mark the cell."""
        number = len(self.sheets) + 1
        comments: list[tuple[int, int, str]] = []
        info = zipfile.ZipInfo(f"xl/worksheets/sheet{number}.xml", date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with self.archive.open(info, mode="w", force_zip64=True) as stream:
            stream.write(f'<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheetData>'.encode())
            pending: list[str] = []
            for row_number, cells in enumerate(rows, start=1):
                parts = []
                for index, (value, messages) in enumerate(cells):
                    if messages:
                        comments.append((row_number - 1, index, "\n".join(dict.fromkeys(messages))))
                    elif value is None or value == "":
                        continue
                    style = _FAULT if messages else (_BOLD if row_number == 1 and number == 1 else None)
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

    def close(self) -> bytes:
        """Write the workbook's own parts and give the file's bytes."""
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
        return self.buffer.getvalue()


def _marked_rows(
    title: str, rows: Iterator[list[Any]], by_cell: _Index, *, headers_name: bool
) -> Iterator[list[tuple[Any, list[str] | None]]]:
    """``rows`` (row 1 first) as (value, messages) cells, with the messages ``by_cell`` gives. ``headers_name``:
    the problems name columns by their header (a CSV form), else by their letters."""
    positions: dict[str, int] = {}
    for number, values in enumerate(rows, start=1):
        if number == 1 and headers_name:
            positions = {str(value): index for index, value in enumerate(values) if value not in (None, "")}
        marks = by_cell.get((title, number))
        if not marks:
            yield [(value, None) for value in values]
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
        padded = list(values) + [None] * (width - len(values))
        yield [(value, at.get(index)) for index, value in enumerate(padded)]


def _csv_rows(path: Path, encoding: str | None) -> Iterator[list[Any]]:
    codec = encoding or detect_encoding(path)
    with path.open(encoding=codec, newline="", errors="replace") as stream:
        first = stream.readline()
        separator = max((",", ";", "\t"), key=first.count)
        yield from csv.reader(itertools.chain([first], stream), delimiter=separator)


def _xlsx_sheets(path: Path) -> Iterator[tuple[str, bool, Iterator[list[Any]]]]:
    """Each sheet of a workbook as (title, hidden, rows from row 1), formula and error cells as their text."""
    workbook = CalamineWorkbook.from_path(str(path))
    hidden = {
        metadata.name for metadata in workbook.sheets_metadata if str(metadata.visible).rsplit(".", 1)[-1] != "Visible"
    }
    with zipfile.ZipFile(path) as archive:
        members = dict(_workbook(archive)[0])
        for title in workbook.sheet_names:
            member = members.get(title)
            marked = (_marked_cells(archive, member) if member else None) or {}
            yield title, title in hidden, _calamine_values(workbook, title, marked)


def _calamine_values(workbook: CalamineWorkbook, title: str, marked: dict[tuple[int, int], str]) -> Iterator[list[Any]]:
    sheet = workbook.get_sheet_by_name(title)
    offset = sheet.start[1] if sheet.start else 0
    for number, values in enumerate(sheet.iter_rows(), start=1):
        row: list[Any] = [None] * offset + [None if value == "" else value for value in values]
        for (marked_row, column), text in marked.items():
            if marked_row == number:
                row.extend([None] * (column + 1 - len(row)))
                row[column] = text
        yield row


def marked_copy(path: Path, *, format: str, problems: Iterable[CellProblem], encoding: str | None = None) -> bytes:
    """The XLSX bytes of the marked copy of the upload at ``path`` (``format`` "xlsx" or "csv"; a CSV's codec as
    reading found it, else detected again), with every problem of ``problems`` at its cell and on the Errors
    sheet."""
    by_cell, listed = _index(problems)
    writer = _Writer()
    header = [_("Sheet"), _("Row"), _("Column"), _("Field"), _("What to do")]
    errors: list[list[tuple[Any, list[str] | None]]] = [[(value, None) for value in header]]
    errors.extend(
        [(value, None) for value in (problem.sheet, problem.row, problem.column, problem.field, problem.message)]
        for problem in listed
    )
    writer.sheet(str(upload_columns.ERRORS_SHEET)[:31], errors)
    if format == CSV:
        writer.sheet(CSV_SHEET, _marked_rows(CSV_SHEET, _csv_rows(path, encoding), by_cell, headers_name=True))
    elif format == XLSX:
        for title, hidden, rows in _xlsx_sheets(path):
            marked_rows = _marked_rows(title, rows, by_cell, headers_name=title == CSV_SHEET)
            writer.sheet(title, marked_rows, hidden=hidden)
    else:
        raise ValueError(f"Unknown upload format {format!r}.")
    return writer.close()
