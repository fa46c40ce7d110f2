"""Upload files for the tests: workbooks and CSV files written as users' spreadsheets write them."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

Rows = Sequence[Sequence[Any]]

REPORT_HEADERS = ["National reference", "Kind of case", "Country of seizure", "Date of seizure", "Mode of transport"]
ITEM_HEADERS = ["National reference", "Commodity category", "Quantity", "Unit"]


def write_xlsx(path: Path, sheets: dict[str, Rows]) -> Path:
    """A workbook with one sheet per entry (title -> rows, the first the headers), as openpyxl writes it."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def write_csv(path: Path, rows: Rows, *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    """A CSV of ``rows`` in ``encoding`` (``utf-8-sig`` writes a byte-order mark, ``utf-16`` too)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def with_extra_entries(source: Path, target: Path, entries: dict[str, bytes], *, content_types: str = "") -> Path:
    """A copy of the workbook ``source`` with more zip entries, and ``content_types`` added to its content types."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == "[Content_Types].xml" and content_types:
                data = data.replace(b"</Types>", content_types.encode() + b"</Types>")
            copy.writestr(info.filename, data)
        for name, data in entries.items():
            copy.writestr(name, data)
    return target
