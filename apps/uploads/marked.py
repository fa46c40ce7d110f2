"""The marked copy of an upload: the officer's own rows, each faulty cell coloured and commented with what to do.

A workbook is copied sheet by sheet (values as typed: text stays text, a formula is shown as its text, never
as a formula); a CSV becomes a workbook with one sheet, ``CSV``, holding its rows in the file's order (the
reader reads that sheet back as the CSV form, so the corrected copy can be uploaded as it is). Every cell with
a problem gets a red ground and a comment with its messages; a problem of a whole row marks its first cell. A
first sheet, "Errors", lists every problem: sheet, row, column and message, in the order given.

The copy is written in openpyxl's write-only mode, a row at a time: memory stays flat whatever the file's size.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from python_calamine import CalamineWorkbook

from . import columns as upload_columns
from .reading import CSV_SHEET, CellProblem, _marked_cells, _workbook, column_index, detect_encoding
from .sniffing import CSV, XLSX

FAULT_FILL = PatternFill("solid", fgColor="FFC7CE")
FAULT_FONT = Font(color="9C0006")
COMMENT_AUTHOR = "RILO"
_LETTERS = re.compile(r"^[A-Z]{1,3}$")

# Problems by sheet and row: column (letters or CSV header; "" for the whole row) -> messages.
_Index = dict[tuple[str, int], dict[str, list[str]]]


def _index(problems: Iterable[CellProblem]) -> tuple[_Index, list[CellProblem]]:
    by_cell: _Index = defaultdict(lambda: defaultdict(list))
    listed = []
    for problem in problems:
        by_cell[problem.sheet, problem.row][problem.column].append(problem.message)
        listed.append(problem)
    return by_cell, listed


def _cell(sheet: WriteOnlyWorksheet, value: Any, messages: list[str] | None) -> Any:
    """A cell of the copy: text is text (a leading = makes no formula), a faulty cell is marked."""
    if messages is None and not (isinstance(value, str) and value.startswith("=")):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if messages:
        cell.fill = FAULT_FILL
        cell.font = FAULT_FONT
        comment = Comment("\n".join(dict.fromkeys(messages)), COMMENT_AUTHOR)
        comment.width, comment.height = 320, 120
        cell.comment = comment
    return cell


def _write_rows(
    sheet: WriteOnlyWorksheet, title: str, rows: Iterator[list[Any]], by_cell: _Index, *, headers_name: bool
) -> None:
    """Copy ``rows`` (row 1 first) into ``sheet``, marking the cells ``by_cell`` names. ``headers_name``: the
    problems name columns by their header (a CSV form), else by their letters."""
    positions: dict[str, int] = {}
    for number, values in enumerate(rows, start=1):
        if number == 1 and headers_name:
            positions = {str(value): index for index, value in enumerate(values) if value not in (None, "")}
        marks = by_cell.get((title, number))
        if not marks:
            sheet.append([_cell(sheet, value, None) for value in values])
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
        sheet.append([_cell(sheet, value, at.get(index)) for index, value in enumerate(padded)])


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
    book = Workbook(write_only=True)
    errors = book.create_sheet(str(upload_columns.ERRORS_SHEET)[:31])
    errors.append(
        [
            WriteOnlyCell(errors, value=header)
            for header in (_("Sheet"), _("Row"), _("Column"), _("Field"), _("What to do"))
        ]
    )
    for problem in listed:
        errors.append(
            [
                _cell(errors, value, None)
                for value in (problem.sheet, problem.row, problem.column, problem.field, problem.message)
            ]
        )
    if format == CSV:
        sheet = book.create_sheet(CSV_SHEET)
        _write_rows(sheet, CSV_SHEET, _csv_rows(path, encoding), by_cell, headers_name=True)
    elif format == XLSX:
        for title, hidden, rows in _xlsx_sheets(path):
            sheet = book.create_sheet(title)
            if hidden:
                sheet.sheet_state = "hidden"
            _write_rows(sheet, title, rows, by_cell, headers_name=title == CSV_SHEET)
    else:
        raise ValueError(f"Unknown upload format {format!r}.")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
