"""What an uploaded file is, from its content (never its name), and whether it may be read at all.

An XLSX workbook is a zip file: its directory is checked before anything is decompressed — the number of
entries, their names, each entry's declared size, compression method and ratio, the total — so a zip bomb is
refused after reading a few kilobytes of directory. The declared sizes bound what reading can cost only if
every entry inflates to exactly its declared size: Python's zip reader stops at it, but calamine's (Rust's
``zip``, which opens the shared strings, the styles and the workbook's parts as the workbook is opened, and a
sheet when it is read) inflates an entry to the end of its data. So every part but the worksheets is inflated
here once, a chunk at a time, and refused unless it ends at its declared size with its declared checksum
(:func:`check_parts`); each worksheet read is checked alike as it is scanned, before calamine may read it
(:func:`entry_chunks`, in :func:`apps.uploads.sheets.scan_sheet`). A workbook with macros (XLSM,
``vbaProject.bin``), a binary workbook (XLSB), an old Excel file, an image, a PDF or any other binary file is
refused, whatever its name says. Anything else that reads as text is a CSV (its encoding and separator are the
reader's concern, :mod:`apps.uploads.reading`).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from xml.etree import ElementTree
from xml.parsers import expat

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from apps.core.caches import process_cache_register
from apps.core.exceptions import ApplicationError

XLSX, CSV = "xlsx", "csv"
FORMATS = (XLSX, CSV)

# Zip directory limits of a workbook: a template-shaped workbook has a dozen entries; sheet XML compresses
# about 10 to 30 times, a very repetitive one up to a few hundred times (every entry is held to the ratio).
MAX_ZIP_ENTRIES = 500
MAX_ZIP_RATIO = 500
# A sheet's XML per cell: ``<c r="CF200000" s="1" t="s"><v>1234</v></c>`` is about 40 bytes; blank cells are not
# written, so a template row averages well under this per column (text lives in the shared strings, capped apart).
SHEET_BYTES_PER_CELL = 32
# The part listing the workbook's content types: a few kilobytes in any workbook.
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
_CONTENT_TYPES = "[content_types].xml"
_SHEETS = "xl/worksheets/"
# A worksheet's part, lower case: inflated and checked as it is scanned, not by :func:`check_parts`.
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml")
# How spreadsheets compress their parts (an entry compressed otherwise is one another zip reader may read apart).
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_CHUNK = 1024 * 1024
_WORKBOOK_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MACRO_TYPES = ("macroenabled", "vbaproject", "vnd.ms-office.activex", "vnd.ms-excel.binindex")

# First bytes of files that are never a spreadsheet we read, with what to tell the user they are.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old-office"),
    (b"\xff\xd8\xff", "image"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"%PDF-", "pdf"),
    (b"\x1f\x8b", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"Rar!", "archive"),
    (b"\x7fELF", "program"),
)
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# Control characters a text file does not hold (tab, line feed, form feed and carriage return aside).
_CONTROL = frozenset(range(32)) - {9, 10, 12, 13}
_HEAD = 64 * 1024


class UploadRefused(ApplicationError):
    """The file cannot be read: its message says why and what to do, in the user's words."""

    code = "upload_refused"


def _refuse_binary(kind: str) -> UploadRefused:
    messages = {
        "old-office": _("This is an old Excel (.xls) or other Office file: save it as an Excel workbook (.xlsx)."),
        "image": _("This file is an image, not a spreadsheet: upload the XLSX or CSV file."),
        "pdf": _("This file is a PDF document, not a spreadsheet: upload the XLSX or CSV file."),
        "archive": _("This file is a compressed archive, not a spreadsheet: upload the XLSX or CSV file itself."),
        "program": _("This file is a program, not a spreadsheet: upload the XLSX or CSV file."),
        "binary": _("This file is not a spreadsheet (it holds binary data): upload the XLSX or CSV file."),
    }
    return UploadRefused(messages[kind])


def _looks_like_utf16(head: bytes) -> bool:
    """UTF-16 text without a byte-order mark: every other byte is zero (in Latin text)."""
    sample = head[:4096]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return even.count(0) > 0.4 * len(even) or odd.count(0) > 0.4 * len(odd)


def _inspect_text(head: bytes) -> str:
    if head.startswith(_TEXT_BOMS) or _looks_like_utf16(head):
        return CSV
    if b"\x00" in head:
        raise _refuse_binary("binary")
    controls = sum(1 for byte in head if byte in _CONTROL)
    if controls > len(head) // 100:
        raise _refuse_binary("binary")
    return CSV


@cache
def _widest_row() -> int:
    """The most columns a sheet of the templates has (the CSV form's, every part's columns on one row)."""
    from .columns import csv_columns, sheet_columns, sheet_parts

    widths = [len(sheet_columns(part, variant="full")) for part in sheet_parts(variant="full")]
    return max([len(csv_columns(variant="full")), *widths])


process_cache_register("uploads.sniffing.widest_row", _widest_row.cache_clear)


def max_sheet_bytes() -> int:
    """The most a sheet's XML may take unpacked: ``RILO_UPLOAD_MAX_ROWS`` rows (the limit is per sheet) of the
    widest template layout at :data:`SHEET_BYTES_PER_CELL` bytes a cell — about 540 MB at the 200,000 rows and
    84 columns of the full CSV form. A larger sheet is refused before a byte of it is decompressed."""
    return settings.RILO_UPLOAD_MAX_ROWS * _widest_row() * SHEET_BYTES_PER_CELL


def max_part_bytes() -> int:
    """The most any other part (styles, drawings, images, the shared strings) may take unpacked: the upload size
    limit (an image is stored as it is; no other XML part of a spreadsheet comes near it)."""
    return int(settings.RILO_UPLOAD_MAX_BYTES)


def _too_big() -> UploadRefused:
    return UploadRefused(
        _("This workbook would be far larger once opened than any spreadsheet (a zip bomb?); it is not read.")
    )


def damaged() -> UploadRefused:
    """The refusal of a workbook that is not what it says it is (one part of it is not where or as it says)."""
    return UploadRefused(_("This workbook is damaged and cannot be opened: save it again in Excel."))


def _plain_name(name: str) -> bool:
    """Whether ``name`` names an entry as spreadsheets do: a path of plain segments (a folder's own entry ends with
    a slash). A ``.`` or ``..`` segment, an empty one, a backslash or a NUL character would let two zip readers
    take one name for two entries, or two for one."""
    segments = name.removesuffix("/").split("/")
    return "\\" not in name and "\x00" not in name and all(segment not in ("", ".", "..") for segment in segments)


def check_zip(archive: zipfile.ZipFile) -> None:
    """Refuse a zip whose directory says it would be too big to open: too many entries, an entry over its
    limit (a sheet: :func:`max_sheet_bytes`; the content types: :data:`MAX_CONTENT_TYPES_BYTES`; any other:
    :func:`max_part_bytes`), a total over what the sheets and parts together may take, or any entry compressed
    more than a spreadsheet ever is; or one that readers may read apart: two entries whose names differ only in
    case (calamine finds a part whatever its case), a name that is not plain (:func:`_plain_name`), an entry
    compressed otherwise than spreadsheets are (stored or deflated)."""
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRefused(_("This workbook has too many parts to be a spreadsheet; it is not read."))
    names = {entry.orig_filename.lower() for entry in entries}
    if len(names) < len(entries) or not all(map(_plain_name, names)):
        raise damaged()
    sheet_limit, part_limit = max_sheet_bytes(), max_part_bytes()
    total, total_limit = 0, sheet_limit + part_limit
    for entry in entries:
        if entry.compress_type not in _METHODS:
            raise damaged()
        name = entry.filename.lower()
        if name == _CONTENT_TYPES:
            limit = MAX_CONTENT_TYPES_BYTES
        elif name.startswith(_SHEETS):
            limit = sheet_limit
        else:
            limit = part_limit
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > limit or total > total_limit or ratio > MAX_ZIP_RATIO:
            raise _too_big()
        if entry.flag_bits & 0x1:
            raise UploadRefused(_("This workbook is encrypted: remove its password in Excel and upload it again."))


def _raw(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """``info`` as a stored entry as long as its compressed data: opened, Python's zip reader checks its local
    header and gives its compressed bytes as they are (no checksum of those is declared to check)."""
    raw = zipfile.ZipInfo(info.orig_filename)
    raw.header_offset = info.header_offset
    raw.compress_type = zipfile.ZIP_STORED
    raw.compress_size = raw.file_size = info.compress_size
    return raw


def entry_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, size: int = _CHUNK) -> Iterator[bytes]:
    """The bytes of the entry ``info`` as they inflate, at most ``size`` at a time; :class:`UploadRefused`
    (damaged) as soon as they pass its declared size, or at their end if they fall short of it or their checksum
    is not the declared one. Its deflated stream ends where its declared size does: read to its end through here,
    an entry holds exactly what its directory entry declares, for every zip reader."""
    inflate = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left, checksum = info.file_size, 0
    with archive.open(_raw(info)) as stream:
        while True:
            if inflate is None:
                data = stream.read(min(size, left + 1))
                ended = not data
            else:
                compressed = inflate.unconsumed_tail or stream.read(size)
                try:
                    data = inflate.decompress(compressed, min(size, left + 1))
                except zlib.error as error:
                    raise damaged() from error
                ended = inflate.eof
                if not ended and not data and compressed == inflate.unconsumed_tail:
                    raise damaged()  # its compressed data ends before its stream does
            if len(data) > left:
                raise damaged()
            left -= len(data)
            checksum = zlib.crc32(data, checksum)
            if data:
                yield data
            if ended:
                break
    if left or checksum != info.CRC:
        raise damaged()


def check_parts(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook one of whose parts, the worksheets aside, does not inflate to exactly its declared size
    and checksum (:func:`entry_chunks`): each is inflated once, a chunk at a time, and let go. A worksheet is
    checked as it is scanned, before calamine reads it (:func:`apps.uploads.sheets.scan_sheet`): a large one is
    never inflated twice."""
    for info in archive.infolist():
        if not _WORKSHEET.fullmatch(info.orig_filename.lower()):
            for _chunk in entry_chunks(archive, info):
                pass


class _DoctypeGuard:
    """Expat fed a part's bytes until its root element starts, refusing a document type declaration (where
    entities, internal or external, are declared: none is ever read). Past the root's start no declaration can
    come, so a long sheet costs it nothing; a comment before the declaration or a UTF-16 part hides nothing from
    it, it parses what the tree parser parses."""

    def __init__(self) -> None:
        self.parser = expat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self._refuse
        self.parser.EntityDeclHandler = self._refuse
        self.parser.StartElementHandler = self._rooted
        self.done = False

    @staticmethod
    def _refuse(*_args: Any) -> None:
        raise UploadRefused(_("This workbook holds XML that is never read here: save it again in Excel."))

    def _rooted(self, *_args: Any) -> None:
        self.done = True

    def feed(self, chunk: bytes) -> None:
        if self.done:
            return
        try:
            self.parser.Parse(chunk, False)
        except expat.ExpatError:
            self.done = True  # malformed: the tree parser says so on the same bytes


class Readable(Protocol):
    """A binary stream read in chunks (a zip entry)."""

    def read(self, size: int = -1, /) -> bytes: ...


def xml_events(stream: Readable, *, chunk: int = 1024 * 1024) -> Iterator[tuple[str, ElementTree.Element]]:
    """``iterparse`` of an XML part of an upload (``end`` events) that refuses document type declarations, so no
    entity of any kind is ever expanded: every part read from an upload goes through it."""
    guard = _DoctypeGuard()
    parser = ElementTree.XMLPullParser(events=("end",))
    while data := stream.read(chunk):
        guard.feed(data)
        parser.feed(data)
        yield from parser.read_events()  # type: ignore[misc]
    parser.close()
    yield from parser.read_events()  # type: ignore[misc]


def _content_types(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> str:
    """The content types the workbook declares, lower case, one a line (the part is parsed, never read whole
    past :data:`MAX_CONTENT_TYPES_BYTES`, whatever its directory says)."""
    found: list[str] = []
    try:
        with archive.open(entry) as stream:
            bounded = _Bounded(stream, MAX_CONTENT_TYPES_BYTES)
            for _event, element in xml_events(bounded, chunk=64 * 1024):
                if content_type := element.get("ContentType"):
                    found.append(content_type.lower())
                element.clear()
    except ElementTree.ParseError as error:
        raise damaged() from error
    return "\n".join(found)


class _Bounded:
    """A stream that refuses to give more than ``limit`` bytes (a part whose directory entry lies)."""

    def __init__(self, stream: Readable, limit: int) -> None:
        self.stream, self.left = stream, limit

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(min(size, self.left + 1) if size >= 0 else self.left + 1)
        self.left -= len(data)
        if self.left < 0:
            raise _too_big()
        return data


def _inspect_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip(archive)
            names = {name.lower() for name in archive.namelist()}
            if "[content_types].xml" not in names:
                raise UploadRefused(_("This file is a zip archive, not a spreadsheet: upload the XLSX or CSV file."))
            types = _content_types(
                archive, next(info for info in archive.infolist() if info.filename.lower() == _CONTENT_TYPES)
            )
    except zipfile.BadZipFile as error:
        raise damaged() from error
    if any(name.endswith("vbaproject.bin") for name in names) or any(marker in types for marker in _MACRO_TYPES):
        raise UploadRefused(
            _("This workbook contains macros (XLSM), which are never opened: save it as an Excel workbook (.xlsx).")
        )
    if "xl/workbook.bin" in names:
        raise UploadRefused(_("This is a binary Excel workbook (XLSB): save it as an Excel workbook (.xlsx)."))
    if _WORKBOOK_TYPES not in types:
        raise UploadRefused(_("This file is an Office document but not an Excel workbook: upload the XLSX file."))
    try:
        with zipfile.ZipFile(path) as archive:
            check_parts(archive)
    except zipfile.BadZipFile as error:
        raise damaged() from error
    return XLSX


def inspect_upload(path: Path, *, name: str) -> str:
    """``"xlsx"`` or ``"csv"`` from the content of the file at ``path``; :class:`UploadRefused` when it is
    empty, over the size limit, not a spreadsheet, or a workbook that must not be opened.

    ``name`` (the name the user gave the file) is only used in messages: the content decides.
    """
    size = path.stat().st_size
    if size == 0:
        raise UploadRefused(_("The file %(name)s is empty.") % {"name": name})
    limit = settings.RILO_UPLOAD_MAX_BYTES
    if size > limit:
        raise UploadRefused(
            _("The file is larger than %(limit)s: split it into several uploads.") % {"limit": filesizeformat(limit)}
        )
    with path.open("rb") as stream:
        head = stream.read(_HEAD)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _inspect_zip(path)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            raise _refuse_binary(kind)
    return _inspect_text(head)
