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

import functools
import html
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any
from xml.etree import ElementTree

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from python_calamine import CalamineWorkbook

from apps.core.caches import process_cache_register

from . import values as upload_values
from .sniffing import UploadRefused, damaged, entry_chunks, xml_events

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW, _CELL, _VALUE, _FORMULA, _INLINE, _TEXT, _RUN = (
    f"{_MAIN}{name}" for name in ("row", "c", "v", "f", "is", "t", "r")
)
_LETTERS = re.compile(r"[A-Za-z]+")
_CHUNK = 1024 * 1024


def _member(base: str, target: str) -> str:
    """A relationship's target as a zip member name (targets are relative to ``base`` unless they start with /).
    A ``.`` or ``..`` in it is refused: calamine looks such a target up as it is written, so it would read
    another part than the one named here (which the scan reads)."""
    pieces = target.lstrip("/").split("/")
    if "\\" in target or any(piece in ("", ".", "..") for piece in pieces):
        raise damaged()
    return "/".join(pieces) if target.startswith("/") else str(PurePosixPath(base, *pieces))


def _parse(stream: IO[bytes]) -> Iterator[tuple[str, ElementTree.Element]]:
    """``iterparse`` of a part that refuses document type declarations (no entity of any kind is expanded)."""
    return xml_events(stream, chunk=_CHUNK)


def workbook_sheets(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], bool]:
    """The workbook's sheets in order as (title, zip member), and whether it counts dates from 1904."""
    relationships: dict[str, str] = {}
    with archive.open("xl/_rels/workbook.xml.rels") as stream:
        for _event, element in _parse(stream):
            if element.tag == f"{_PACKAGE_REL}Relationship":
                relationships[element.get("Id", "")] = element.get("Target", "")
    sheets: list[tuple[str, str]] = []
    date1904 = False
    with archive.open("xl/workbook.xml") as stream:
        for _event, element in _parse(stream):
            if element.tag == f"{_MAIN}sheet":
                target = relationships.get(element.get(f"{_REL}id", ""))
                if target:
                    sheets.append((element.get("name", ""), _member("xl", target)))
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
    """The 0-based index of a column given by its letters, capital or not (``A`` 0, ``AA`` 26); past the three
    letters of a sheet's last column (XFD), :class:`UploadRefused` (before any arithmetic on them)."""
    index = _COLUMN_INDEX.get(letters)
    if index is None:
        if len(letters) > 3:
            raise _past_the_grid()
        index = 0
        for letter in letters:
            index = index * 26 + (ord(letter) & 31)  # A and a: 1
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


def _letters(reference: str) -> str:
    """The column letters a cell's reference starts with (:class:`ValueError`, the workbook damaged, if none)."""
    letters = _LETTERS.match(reference)
    if letters is None:
        raise ValueError(f"The cell reference {reference!r} names no column.")
    return letters.group()


def parsed_sheet_rows(
    archive: zipfile.ZipFile, member: str, strings: list[str]
) -> Iterator[tuple[int, dict[int, Any], dict[int, str]]]:
    """Each row of a sheet as (row number, raw value by column index, formula or error text by column index);
    :class:`UploadRefused` at a row or a cell past the last a sheet may have, or a row of more cells than a sheet
    has columns (counted as they are parsed, before the row ends: a row of millions of cells at one place is not
    held)."""
    expected_row = 0
    cells_in_row = 0
    with archive.open(member) as stream:
        for _event, element in _parse(stream):
            if element.tag != _ROW:
                if element.tag == _CELL:
                    cells_in_row += 1
                    if cells_in_row > LAST_COLUMN:
                        raise _past_the_grid()
                continue
            cells_in_row = 0
            given_row = element.get("r")
            row = int(given_row) if given_row else expected_row + 1
            if row > LAST_ROW:
                raise _past_the_grid()
            expected_row = row
            cells: dict[int, Any] = {}
            marked: dict[int, str] = {}
            position = -1
            for cell in element:
                reference = cell.get("r")
                position = column_index(_letters(reference)) if reference else position + 1
                if position >= LAST_COLUMN:
                    raise _past_the_grid()
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


# A sheet's last row and column (XFD): no spreadsheet puts a cell past them. A sheet whose cells reach past them is
# refused (calamine would hold a grid as large as their references say; the parser, a row as wide).
LAST_ROW, LAST_COLUMN = 1_048_576, 16_384
# The most cells (rows times columns, blank ones included) a sheet may span to be read by calamine.
CALAMINE_MAX_CELLS = 12_000_000
# The formula and error cells a sheet may hold, and their text in all, to be read at all: each is remembered until
# the sheet is read (calamine gives a formula's cached result, so the scan's list is what tells a formula from a
# value). A column of formulas down a sheet of the row limit fits; a sheet past either is refused with what to do.
MAX_MARKED_CELLS = 200_000
MAX_MARKED_TEXT = 16 * 1024 * 1024

# What the scan looks for in a sheet's XML, once the prefix its root element has (if any) is taken off the tags.
# A cell's start tag as spreadsheets write it: its reference first (capital letters, a row number without a
# leading zero), then others (never a second reference: no name starting with r), each in double quotes. Any
# other tag of a cell, or a cell or formula under another prefix, makes the sheet one parsed row by row. (A row's
# own number places nothing: calamine places a cell by its own reference, once every cell has one.)
_ODD_CELL = re.compile(rb'<c(?![\w.:-])(?! r="[A-Z]++[1-9][0-9]*+"(?: [a-qs-z][\w:.-]*+="[^"<]*+")*+/?>)')
_FOREIGN = re.compile(rb":(?:c|f)[\s/>]")
# Markup calamine passes over without reading (a comment, character data, a processing instruction): what it
# holds could end the cells for the scan ("</sheetData>") and not for calamine. The XML declaration aside, a
# sheet holding any is parsed row by row (spreadsheets write none in a sheet).
_HIDDEN = re.compile(rb"<!--|<!\[CDATA\[|<\?")
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]*\?>")
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")
_CELL_START = b'<c r="'
_CELL_REFERENCE = re.compile(rb'<c r="([A-Z]+)([0-9]+)"')
_ROW_NUMBER = re.compile(rb'<row r="([0-9]+)"')
_NUMBER = re.compile(rb'r="[A-Z]*([0-9]+)"')  # a row's or a cell's (or any attribute's ending in r: counted too)
_TWO_LETTERS = re.compile(rb'r="[A-Z]{2}')  # a cell past column Z
_PAST_CZ = re.compile(rb'r="([D-Z][A-Z]|[A-Z]{3,})[0-9]')  # past column CZ, the widest layout read (the CSV form's)
# A formula's start tag, an error value's type (in a cell's start tag), their texts.
_FORMULA_TAG = re.compile(rb"<f[\s>/]")
_ERROR_TYPE = re.compile(rb' t="e"')
_FORMULA_TEXT = re.compile(rb"<f\b[^<>]*?(?:/>|>([^<]*)</)")
_ERROR_TEXT = re.compile(rb"<v>(.*?)</", re.S)
# Past this much of a sheet without the end of a row or a cell, the scan no longer holds the part not yet looked at:
# the sheet is parsed row by row (a cell of the longest text Excel holds takes a few hundred kilobytes).
_MAX_CARRY = 8 * 1024 * 1024


def _past_the_grid() -> UploadRefused:
    return UploadRefused(
        _(
            "This workbook has a cell past the last row or column a sheet may have (row %(rows)s, column XFD): "
            "save it again in Excel."
        )
        % {"rows": number_format(LAST_ROW, force_grouping=True)}
    )


def _too_many_formulas() -> UploadRefused:
    return UploadRefused(
        _(
            "A sheet of this workbook holds more formulas or error values than an upload may: type the values "
            "themselves (in Excel: copy the cells, then paste them as values) and upload it again."
        )
    )


@functools.lru_cache(maxsize=64)
def _numbered_past(number: int) -> re.Pattern[bytes]:
    """A row's or a cell's reference numbered past ``number`` (no leading zero: the scan reads no other)."""
    digits = str(number)
    past = [f"[1-9][0-9]{{{len(digits)},}}"]  # more digits
    past.extend(  # as many: the same first digits, then a greater one
        f"{digits[:at]}[{int(digit) + 1}-9][0-9]{{{len(digits) - at - 1}}}"
        for at, digit in enumerate(digits)
        if digit != "9"
    )
    return re.compile(f'r="[A-Z]*+(?=[0-9]{{{len(digits)}}})(?:{"|".join(past)})"'.encode())


process_cache_register("uploads.sheets.numbered_past", _numbered_past.cache_clear)  # pure: patterns only


@dataclass
class SheetScan:
    """What the scan of a sheet's XML found: its formula and error cells by (row, column index), and the extent
    calamine would hold in memory, every cell of it; ``marked`` is ``None`` where the sheet must be parsed row by
    row instead (a cell not written as spreadsheets write them, whose place calamine and the scan might take
    apart; a formula outside any cell), its extent then what the scan saw before."""

    marked: dict[tuple[int, int], str] | None
    rows: int
    columns: int

    @property
    def fits_calamine(self) -> bool:
        """Whether calamine may read the sheet: it keeps a dense grid from its first cell to its last, so a sheet
        of two cells, A1 and XFD1048576, would take hundreds of gigabytes (such a sheet is parsed row by row)."""
        return self.marked is not None and self.rows * self.columns <= CALAMINE_MAX_CELLS


class _Scanner:
    """The scan of one sheet, a part of whole cells at a time (:func:`scan_sheet`)."""

    def __init__(self) -> None:
        self.scan = SheetScan(marked={}, rows=0, columns=26)  # up to Z, until a reference says wider
        self.text = 0  # of the formulas and error values remembered
        self.prefix: bytes | None = None  # the root element's, taken off every tag: b"x:" (b"" for none)
        self.started = False  # past the first region (which may start with the XML declaration)

    def unprefixed(self, data: bytes) -> bytes:
        """``data`` with the root element's prefix taken off its tags (calamine reads tags by their local name)."""
        if self.prefix is None:
            root = _ROOT.search(data)
            self.prefix = root[1] + b":" if root and root[1] else b""
        return data.replace(b"<" + self.prefix, b"<").replace(b"</" + self.prefix, b"</") if self.prefix else data

    def odd(self) -> bool:
        self.scan.marked = None
        return False

    def region(self, region: bytes) -> bool:
        """Take in ``region``, whole cells of the sheet; ``False`` once the sheet is to be parsed instead."""
        scan = self.scan
        start = 0
        if not self.started:
            self.started = True
            declaration = _DECLARATION.match(region)
            start = declaration.end() if declaration else 0
        if _ODD_CELL.search(region) or _FOREIGN.search(region) or _HIDDEN.search(region, start):
            return self.odd()
        last = _ROW_NUMBER.match(region, max(region.rfind(b'<row r="'), 0))
        if last:  # the last row's number: as spreadsheets write a sheet, no cell's is greater (looked for next)
            scan.rows = max(scan.rows, int(last[1]))
        if _numbered_past(scan.rows).search(region):  # one is: every number looked at
            scan.rows = max(scan.rows, *map(int, _NUMBER.findall(region)))
        if _TWO_LETTERS.search(region):
            scan.columns = max(
                scan.columns, 104, *(column_index(letters.decode()) + 1 for letters in set(_PAST_CZ.findall(region)))
            )
        if scan.rows > LAST_ROW or scan.columns > LAST_COLUMN:
            raise _past_the_grid()
        if (b"<f" in region or b' t="e"' in region) and not self.marked_in(region):
            return self.odd()
        return True

    def marked_in(self, region: bytes) -> bool:
        """Remember the formula and error cells of ``region`` by (row, column index); ``False`` when one is not
        within a cell the region holds. Each search goes only over what the one before did not."""
        marked = self.scan.marked
        assert marked is not None  # noqa: S101 (the scan goes on only while it is)
        found = sorted(
            [(m.start(), False) for m in _FORMULA_TAG.finditer(region)]
            + [(m.start(), True) for m in _ERROR_TYPE.finditer(region)]
        )
        cell = following = -1
        looked = 0
        for at, error in found:
            start = region.rfind(_CELL_START, looked, at)  # the last cell started before it
            looked = at
            if start >= 0:
                cell = start
            if cell < 0:
                return False
            reference = _CELL_REFERENCE.match(region, cell)
            assert reference is not None  # noqa: S101 (every cell of the region starts so)
            place = (int(reference[2]), column_index(reference[1].decode()))
            if place in marked:
                continue
            if error:  # its value, before the next cell starts
                if following <= at:
                    following = region.find(_CELL_START, at)
                    following = len(region) if following < 0 else following
                value = _ERROR_TEXT.search(region, at, following)
                text = html.unescape((value[1] if value else b"#VALUE!")[:255].decode("utf-8", "replace"))
            else:
                formula = _FORMULA_TEXT.match(region, at)
                text = "=" + html.unescape(((formula[1] or b"") if formula else b"").decode("utf-8", "replace"))
            self.text += len(text)
            if len(marked) >= MAX_MARKED_CELLS or self.text > MAX_MARKED_TEXT:
                raise _too_many_formulas()
            marked[place] = text
        return True


def _cut(buffer: bytes) -> int:
    """Where ``buffer`` may be cut between whole cells: after its last row or cell end tag (0: nowhere)."""
    row, cell = buffer.rfind(b"</row>"), buffer.rfind(b"</c>")
    return max(row + 6 if row >= 0 else 0, cell + 4 if cell >= 0 else 0)


def scan_sheet(archive: zipfile.ZipFile, member: str) -> SheetScan:
    """Scan a sheet's XML as it inflates, a megabyte at a time, for its formula and error cells and its extent
    (the place of every cell, as calamine places it: by its own reference); :class:`UploadRefused` for a cell past
    a sheet's last row or column, or more formulas than :data:`MAX_MARKED_CELLS` (or :data:`MAX_MARKED_TEXT` of
    them). The sheet is inflated to its end through :func:`~apps.uploads.sniffing.entry_chunks`, so what calamine
    may read of it is what was scanned."""
    scanner = _Scanner()
    chunks = entry_chunks(archive, archive.getinfo(member), size=_CHUNK)
    carry = b""
    for chunk in chunks:
        buffer = scanner.unprefixed(carry + chunk)
        cut = _cut(buffer)
        if not cut and len(buffer) > _MAX_CARRY:
            scanner.odd()
            carry = b""
            break
        region, carry = buffer[:cut], buffer[cut:]
        if region and not scanner.region(region):
            carry = b""
            break
        if b"</sheetData>" in carry:  # the end of the cells (calamine reads none past it): the rest unscanned
            break
    if carry:
        scanner.region(carry.partition(b"</sheetData>")[0])
    for _rest in chunks:  # the rest inflates through the same check, unscanned
        pass
    return scanner.scan


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


# An element calamine might take for a cell or a row (by its local name, whatever its prefix).
_CELL_OR_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:c|row)[\s/>]")


def unnamed_parts_scanned(archive: zipfile.ZipFile, named: set[str]) -> None:
    """Refuse the workbook if a part other than the sheets its list names (``named``, as the scan reads them) holds
    cells that calamine could not hold, or that the scan cannot place: calamine finds a sheet's part by rules of its
    own (a target's form, an attribute's prefix, a character reference), so whatever part it might open as a sheet
    has been inflated to its end and checked, and fits. Parts with no element named as a cell or a row (all but the
    sheets, the calculation chain and external links' caches) are only inflated."""
    for info in archive.infolist():
        if info.orig_filename in named or info.is_dir():
            continue
        tail, cells = b"", False
        for chunk in entry_chunks(archive, info, size=_CHUNK):
            cells = cells or _CELL_OR_ROW.search(tail + chunk) is not None
            tail = chunk[-64:]
        if cells and not scan_sheet(archive, info.orig_filename).fits_calamine:
            raise damaged()
