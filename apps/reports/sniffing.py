"""Content type of an uploaded file from its first bytes (never from its name or the browser's claim)."""

from __future__ import annotations

import zipfile
from typing import IO

OCTET_STREAM = "application/octet-stream"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
ALLOWED_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf", "image/tiff", XLSX, DOCX})


def sniff_content_type(stream: IO[bytes]) -> str:
    """The content type recognised from the file's bytes, or ``application/octet-stream``.

    The stream is left at position 0. Office documents are zip files told apart by their parts.
    """
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return OCTET_STREAM
        finally:
            stream.seek(0)
        if "[Content_Types].xml" in names:
            if any(n.startswith("xl/") for n in names):
                return XLSX
            if any(n.startswith("word/") for n in names):
                return DOCX
    return OCTET_STREAM
