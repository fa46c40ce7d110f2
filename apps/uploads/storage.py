"""Where uploads' files live: under the private ``RILO_UPLOADS_ROOT``, never under a directory the web server
serves. A file is streamed to a temporary name while it arrives and moved to its upload's name once whole."""

from __future__ import annotations

import hashlib
import os
import uuid as uuid_module
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


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
