"""The low-level reading of an XLSX workbook: its sheets, shared strings and the XML of each sheet.

- :func:`scan_sheet` goes through a sheet's XML as it decompresses, for the two things calamine does not tell:
  the cells holding a formula or an error value (it gives a formula's cached result, or nothing), and how far
  the sheet's cells reach (calamine holds a dense grid from A1 to the last cell, so a tiny file with cells in
  A1 and XFD1048576 would ask for hundreds of gigabytes).
- :func:`calamine_rows` reads a sheet with calamine (python-calamine), the fast way;
  :func:`parsed_sheet_rows` parses it with ``iterparse``, row by row, where calamine must not be used.

Both give each row as (row number, raw value by column index, formula or error text by column index). No
document type declaration is accepted in any XML part (no entity is ever expanded).
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any
from xml.etree import ElementTree

from django.utils.formats import number_format
from django.utils.translation import ngettext
from python_calamine import CalamineWorkbook

from . import values as upload_values
from .sniffing import UploadRefused, xml_events

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW, _VALUE, _FORMULA, _INLINE, _TEXT, _RUN = (f"{_MAIN}{name}" for name in ("row", "v", "f", "is", "t", "r"))
_LETTERS = re.compile(r"[A-Z]+")
_CHUNK = 1024 * 1024


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
    return xml_events(stream, chunk=_CHUNK)


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


# The shared strings a workbook may hold: every cell of a full sheet of distinct text would be far more than a
# spreadsheet of seizures holds (their text repeats: units, countries, commodities); the text is bounded too.
MAX_SHARED_STRINGS = 2_000_000
MAX_SHARED_TEXT = 64 * 1024 * 1024


def shared_strings(archive: zipfile.ZipFile) -> list[str]:
    """The workbook's shared strings in order; :class:`UploadRefused` past :data:`MAX_SHARED_STRINGS` strings or
    :data:`MAX_SHARED_TEXT` characters in all (refused as they are read, before they are all in memory)."""
    names = set(archive.namelist())
    strings: list[str] = []
    if "xl/sharedStrings.xml" not in names:
        return strings
    text = 0
    with archive.open("xl/sharedStrings.xml") as stream:
        for _event, element in _parse(stream):
            if element.tag == f"{_MAIN}si":
                string = _inline_text(element)
                text += len(string)
                strings.append(string)
                element.clear()
                if len(strings) > MAX_SHARED_STRINGS or text > MAX_SHARED_TEXT:
                    raise UploadRefused(
                        ngettext(
                            "This workbook holds more text than %(count)s distinct cell or %(size)s characters: "
                            "split it into several uploads.",
                            "This workbook holds more text than %(count)s distinct cells or %(size)s characters: "
                            "split it into several uploads.",
                            MAX_SHARED_STRINGS,
                        )
                        % {
                            "count": number_format(MAX_SHARED_STRINGS, force_grouping=True),
                            "size": number_format(MAX_SHARED_TEXT, force_grouping=True),
                        }
                    )
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
                    if value == "":
                        continue  # an empty shared string: a blank cell, as calamine reads it
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


def calamine_rows(
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
