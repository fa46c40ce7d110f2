"""A minimal XLSX (Office Open XML spreadsheet) writer: one sheet of text cells, streamed.

Rows go out as they come, compressed piece by piece, so a file of any length is written in constant memory
and can be streamed to a browser while it is made. Every cell is an inline string: a spreadsheet never
reads one as a number, a date or a formula. It writes what an export needs and nothing more, several times
faster than openpyxl's write-only mode on the same rows (figures in the commit that added it).
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, cast

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = "</sheetData></worksheet>"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Characters XML 1.0 cannot hold at all (dropped); \r is kept as a character reference (a parser would turn a
# literal one into \n).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_NEEDS_WORK = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _escaped(text: str) -> str:
    if _NEEDS_WORK.search(text) is None:
        return text
    return _ILLEGAL.sub("", text).translate(_ESCAPES)


def _workbook(sheet_name: str) -> str:
    # Cut to a sheet name's 31 characters first, then escaped for an attribute: cutting the escaped text could
    # split an entity ("&am"), and a quote left as it is would end the attribute.
    name = html.escape(_ILLEGAL.sub("", sheet_name)[:31], quote=True)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


class _Drain:
    """A write-only file whose bytes are taken out as they come (zipfile writes descriptors when it cannot seek)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._written = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def xlsx_chunks(rows: Iterable[list[str]], *, sheet_name: str = "Sheet1", rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The bytes of an XLSX file holding ``rows`` (lists of text, the first usually the headers) as text cells."""
    drain = _Drain()
    stamp = datetime.now().timetuple()[:6]
    with zipfile.ZipFile(
        cast(IO[bytes], drain), mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
    ) as archive:
        for name, text in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", _workbook(sheet_name)),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), text)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, mode="w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.encode())
            pending: list[str] = []
            for row in rows:
                pending.append(
                    "<row>"
                    + "".join(
                        f'<c t="inlineStr"><is><t xml:space="preserve">{_escaped(cell)}</t></is></c>'
                        if cell
                        else "<c/>"
                        for cell in row
                    )
                    + "</row>"
                )
                if len(pending) >= rows_per_chunk:
                    sheet.write("".join(pending).encode())
                    pending.clear()
                    yield drain.take()
            sheet.write(("".join(pending) + _SHEET_END).encode())
    yield drain.take()
