"""What an uploaded file is, from its content (never its name), and whether it may be read at all.

An XLSX workbook is a zip file: its directory is checked before anything is decompressed — the number of
entries, each entry's declared size and compression ratio, the total — so a zip bomb is refused after
reading a few kilobytes of directory. Python's zip reader never returns more than an entry's declared size,
so the declared sizes bound what reading can cost. A workbook with macros (XLSM, ``vbaProject.bin``), a
binary workbook (XLSB), an old Excel file, an image, a PDF or any other binary file is refused, whatever
its name says. Anything else that reads as text is a CSV (its encoding and separator are the reader's
concern, :mod:`apps.uploads.reading`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError

XLSX, CSV = "xlsx", "csv"
FORMATS = (XLSX, CSV)

# Zip directory limits of a workbook: a template-shaped workbook has a dozen entries; sheet XML compresses
# about 10 to 30 times, a very repetitive one up to a few hundred times.
MAX_ZIP_ENTRIES = 500
MAX_ZIP_RATIO = 500
MAX_ZIP_UNCOMPRESSED = 2 * 1024 * 1024 * 1024
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


def check_zip(archive: zipfile.ZipFile) -> None:
    """Refuse a zip whose directory says it would be too big to open: too many entries, an entry or a total
    uncompressed size over the limits, or an entry compressed more than a spreadsheet ever is."""
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRefused(_("This workbook has too many parts to be a spreadsheet; it is not read."))
    total = 0
    for entry in entries:
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if total > MAX_ZIP_UNCOMPRESSED or (entry.file_size > 1024 * 1024 and ratio > MAX_ZIP_RATIO):
            raise UploadRefused(
                _("This workbook would be far larger once opened than any spreadsheet (a zip bomb?); it is not read.")
            )
        if entry.flag_bits & 0x1:
            raise UploadRefused(_("This workbook is encrypted: remove its password in Excel and upload it again."))


def _inspect_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip(archive)
            names = {name.lower() for name in archive.namelist()}
            if "[content_types].xml" not in names:
                raise UploadRefused(_("This file is a zip archive, not a spreadsheet: upload the XLSX or CSV file."))
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace").lower()
    except zipfile.BadZipFile as error:
        raise UploadRefused(_("This workbook is damaged and cannot be opened: save it again in Excel.")) from error
    if any(name.endswith("vbaproject.bin") for name in names) or any(marker in types for marker in _MACRO_TYPES):
        raise UploadRefused(
            _("This workbook contains macros (XLSM), which are never opened: save it as an Excel workbook (.xlsx).")
        )
    if "xl/workbook.bin" in names:
        raise UploadRefused(_("This is a binary Excel workbook (XLSB): save it as an Excel workbook (.xlsx)."))
    if _WORKBOOK_TYPES not in types:
        raise UploadRefused(_("This file is an Office document but not an Excel workbook: upload the XLSX file."))
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
