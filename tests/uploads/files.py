"""Upload files for the tests: workbooks and CSV files written as users' spreadsheets write them."""

from __future__ import annotations

import csv
import io
import struct
import zipfile
import zlib
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


def declaring(path: Path, member: str, size: int) -> None:
    """Make ``member``'s local header and central directory entry declare ``size`` bytes, with the checksum of its
    first ``size`` bytes, whatever its data inflates to: more is what a zip bomb hides behind."""
    with zipfile.ZipFile(path) as archive:
        info, data = archive.getinfo(member), archive.read(member)
    raw = bytearray(path.read_bytes())
    checksum = zlib.crc32(data[:size])
    struct.pack_into("<I", raw, info.header_offset + 14, checksum)  # local header: CRC-32 at 14, size at 22
    struct.pack_into("<I", raw, info.header_offset + 22, size)
    end = raw.rfind(b"PK\x05\x06")  # the end of central directory record: the directory's offset at 16
    entry = struct.unpack_from("<I", raw, end + 16)[0]
    while struct.unpack_from("<I", raw, entry + 42)[0] != info.header_offset:  # each entry's local header offset
        assert raw[entry : entry + 4] == b"PK\x01\x02", "past the central directory"
        entry += 46 + sum(struct.unpack_from("<HHH", raw, entry + 28))  # its name, extra field and comment
    struct.pack_into("<I", raw, entry + 16, checksum)  # central directory entry: CRC-32 at 16, size at 24
    struct.pack_into("<I", raw, entry + 24, size)
    path.write_bytes(raw)
