"""Where uploads' files live: under the private ``RILO_UPLOADS_ROOT``, never under a directory the web server
serves. A file is streamed to a temporary name while it arrives and moved to its upload's name once whole."""

from __future__ import annotations

import hashlib
import os
import uuid as uuid_module
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

# Room in a multipart body for its fields and boundaries besides the file.
FORM_FIELDS_BYTES = 64 * 1024


def uploads_root() -> Path:
    return Path(settings.RILO_UPLOADS_ROOT)


def stored_path(name: str) -> Path:
    """The stored file called ``name`` (an upload's ``file_name``: a name only, never a path from input)."""
    return uploads_root() / "files" / Path(name).name


def incoming_path() -> Path:
    """A fresh temporary name for a file that is arriving (its directory made)."""
    directory = uploads_root() / "incoming"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{uuid_module.uuid4()}.part"


@dataclass(frozen=True)
class Received:
    """A file written to disk whole: where, how many bytes, and its SHA-256."""

    path: Path
    size: int
    sha256: str


class TooLarge(Exception):
    """The file passed the size limit while it was arriving (what was written is deleted)."""


def receive(chunks: Iterable[bytes], *, limit: int) -> Received:
    """Write ``chunks`` to a temporary file, counting and hashing as they come; :class:`TooLarge` (the partial
    file deleted) as soon as more than ``limit`` bytes have come, without reading the rest."""
    path = incoming_path()
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("wb") as file:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise TooLarge(size)
                digest.update(chunk)
                file.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Received(path=path, size=size, sha256=digest.hexdigest())


def keep(received: Path, *, name: str) -> Path:
    """Move a received file to its stored name."""
    target = stored_path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(received, target)
    return target


def declared_too_large(content_length: int | None, *, limit: int) -> bool:
    """Whether a body declared ``content_length`` bytes long cannot hold a file of at most ``limit`` bytes and
    the other fields of its form: it is refused without being read."""
    return bool(content_length) and int(content_length or 0) > limit + FORM_FIELDS_BYTES


def limit_upload(request: Any, *, limit: int) -> LimitedUploadHandler:
    """Make :class:`LimitedUploadHandler` the request's only upload handler (before anything reads the body: the
    CSRF check, the authentication) and return it, to ask it afterwards whether the file was ``too_large``."""
    handler = LimitedUploadHandler(request, limit=limit)
    request.upload_handlers = [handler]
    return handler


def received_discard(files: MultiValueDict[str, Any]) -> None:
    """Delete the files of a request's ``FILES`` that :class:`LimitedUploadHandler` wrote and no upload took (a
    form refused before the service ran, a failure); a file an upload keeps was moved already, and stays."""
    for _name, sent in files.lists():
        for file in sent:
            received = getattr(file, "received", None)
            if isinstance(received, Received):
                received.path.unlink(missing_ok=True)


class LimitedUploadHandler(FileUploadHandler):
    """A multipart upload handler that writes each file straight to ``RILO_UPLOADS_ROOT``, counting and hashing
    as the body streams, and stops reading the body (``too_large``) as soon as its files together pass ``limit``
    bytes (a body of several files gets no more room than one): a 2 GB body costs what the limit costs, never
    more. Install it before anything reads the body:
    ``request.upload_handlers = [LimitedUploadHandler(request, limit=...)]``."""

    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large = False
        self._path: Path | None = None
        self._file: Any = None
        self._digest: Any = None
        self._size = 0  # the file's
        self._received = 0  # the body's files', together

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: str | None = None
    ) -> tuple[QueryDict, MultiValueDict[str, Any]] | None:
        # A body declared larger than the limit (and a little room for the other fields) is not read at all: the
        # request has no fields and no file, and says why (too_large).
        if declared_too_large(content_length, limit=self.limit):
            self.too_large = True
            return QueryDict(), MultiValueDict()
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._path = incoming_path()
        self._file = self._path.open("wb")
        self._digest = hashlib.sha256()
        self._size = 0
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._size += len(raw_data)
        self._received += len(raw_data)
        if self._received > self.limit:
            self.too_large = True
            self.discard()
            raise StopUpload(connection_reset=True)
        self._digest.update(raw_data)
        self._file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> ReceivedFile | None:
        if self._path is None:
            return None
        self._file.close()
        received = Received(path=self._path, size=self._size, sha256=self._digest.hexdigest())
        self._path = None
        return ReceivedFile(received, name=self.file_name or "", content_type=self.content_type or "")

    def upload_interrupted(self) -> None:
        self.discard()

    def discard(self) -> None:
        """Delete the file being received (the body was refused or broken off)."""
        if self._file is not None:
            self._file.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None


class ReceivedFile(UploadedFile):
    """A file :class:`LimitedUploadHandler` already wrote to disk: its path, size and hash."""

    def __init__(self, received: Received, *, name: str, content_type: str) -> None:
        super().__init__(
            file=None, name=name, content_type=content_type, size=received.size, charset=None, content_type_extra=None
        )
        self.received = received

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        with self.received.path.open("rb") as file:
            while chunk := file.read(chunk_size or 64 * 1024):
                yield chunk
