"""The checked reports of an upload, kept beside its stored file so the commit writes them without reading and
checking the file again.

Checking is the bulk of an upload's work (every cell through the one validator); the commit used to repeat it
to see the database as it is at commit time. What can change between the check and the commit is small and
is verified here instead, in a few queries:

- a vocabulary term, HS code or operation the reports use was deleted or is no longer in use;
- the uploader's administration's report with one of the references was created, submitted, approved or
  otherwise left the draft/returned states meanwhile;
- when the reports are sent for review, each must be complete for its form variant.

The rest the writer checks itself, as for any commit (the committer's permissions, persons and companies,
joint operations, a reference taken). When anything changed, or the kept result is missing or unreadable,
:func:`checked_load` answers ``None`` and the commit checks the file again, which puts every problem at its
cell.

The file is the check's pickled pieces (:mod:`apps.uploads.spool`), written by the worker only, under the private
uploads root; model instances are kept by label and primary key (never pickled whole) and loaded again from the
database, and reading it accepts no class but the few plain value types and our own choices the reports hold, so
even an altered file cannot run code. It starts with a digest keyed by the secret key, checked before anything is
unpickled (a file cut short, altered or not made by this system is checked again), then a header: the reports'
:class:`~apps.uploads.writing.Outline` (what the verification and the writer need of all of them), the instances
they name and the pieces' sizes. The commit verifies from the header (and, when the reports are sent for review,
their completeness from the pieces) and reads the pieces as it writes them (:class:`Kept`): the reports are never
all held as objects.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import Model
from django.utils.crypto import salted_hmac

from apps.core.actor import Actor
from apps.reports.choices import EDITABLE_STATES
from apps.reports.errors import Errors
from apps.reports.validation import check_complete

from .checking import existing_reports
from .spool import Changed, ReportSpool, Unpickler, pickled, require_instances
from .storage import stored_path
from .writing import CheckedReport, Outline

logger = logging.getLogger(__name__)

SUFFIX = ".checked"


def checked_path(file_name: str) -> Path:
    """Where the checked reports of the upload whose stored file is ``file_name`` are kept."""
    return stored_path(file_name + SUFFIX)


def checked_delete(file_name: str) -> None:
    if file_name:
        checked_path(file_name).unlink(missing_ok=True)


# The kept file: a keyed digest of the rest and of the upload's file name (only this system's processes, which
# hold the secret key, make a file the commit will read; one made before the key was changed is checked again),
# the header's length, the header, the pieces.
_MAC_SIZE = 32
_LENGTH_SIZE = 8
_VERSION = 1  # of the header's contents: another is checked again


def _mac(file_name: str) -> Any:
    """The keyed digest of the kept file of the upload whose stored file is ``file_name`` (another upload's kept
    file copied in its place is not taken for its own)."""
    key = salted_hmac("apps.uploads.checked", "kept checked reports", algorithm="sha256").digest()
    mac = hashlib.blake2b(key=key, digest_size=_MAC_SIZE)
    mac.update(file_name.encode() + b"\0")
    return mac


def checked_store(
    *,
    file_name: str,
    reports: Sequence[CheckedReport],
    outline: Outline,
    terms: Iterable[tuple[str, Any]],
) -> None:
    """Keep the checked ``reports`` of the upload whose stored file is ``file_name`` (replacing any kept), with
    their ``outline`` and the model instances they name (``terms``, by label and key) in a header."""
    path = checked_path(file_name)
    partial = path.with_name(path.name + ".part")
    spool = reports if isinstance(reports, ReportSpool) else ReportSpool(reports)
    pieces = spool.pieces()
    header = pickled(
        {
            "version": _VERSION,
            "outline": outline,
            "terms": sorted(set(terms), key=repr),
            "sizes": [len(piece) for piece in pieces],
        },
        {},
    )
    length = len(header).to_bytes(_LENGTH_SIZE, "big")
    mac = _mac(file_name)
    for part in (length, header, *pieces):
        mac.update(part)
    with partial.open("wb") as file:
        for part in (mac.digest(), length, header, *pieces):
            file.write(part)
    partial.replace(path)


@dataclass(frozen=True)
class Kept:
    """The kept checked reports, verified: held pickled and read a piece at a time as they are written (some
    64,000 reports took about 400 MB as objects, a tenth of it pickled), with their :class:`Outline`."""

    reports: Sequence[CheckedReport]
    outline: Outline


def checked_load(*, file_name: str, actor: Actor, submit: bool) -> Kept | None:
    """The kept checked reports, if nothing they rely on changed since the check (see the module's docstring);
    ``None`` when the file must be checked again. Verified from the file's header (and, for reports sent for
    review, their completeness from the pieces); the pieces are read again as the reports are written."""
    path = checked_path(file_name)
    try:
        data = memoryview(path.read_bytes())
        mac = _mac(file_name)
        mac.update(data[_MAC_SIZE:])
        if not hmac.compare_digest(mac.digest(), bytes(data[:_MAC_SIZE])):
            raise pickle.UnpicklingError("not kept by this system, cut short or altered")
        start = _MAC_SIZE + _LENGTH_SIZE
        end = start + int.from_bytes(data[_MAC_SIZE:start], "big")
        instances: dict[str, dict[Any, Model]] = {}  # each model read once, now and as the pieces are read
        header = Unpickler(io.BytesIO(data[start:end]), instances).load()
        if not isinstance(header, dict) or header.get("version") != _VERSION:
            raise pickle.UnpicklingError("not the header of kept checked reports of this version")
        outline: Outline = header["outline"]
        require_instances(header["terms"], instances)
        _require_unchanged(actor, outline.references)
        pieces = []
        for size in header["sizes"]:
            pieces.append(data[end : end + size])
            end += size
        if end != len(data):
            raise pickle.UnpicklingError("the pieces are not those the header tells")
        reports = ReportSpool.of_pieces(pieces, count=outline.count, instances=instances)
        if submit:  # every report complete for review (read once more, a piece at a time)
            for report in reports:
                _require_complete(report)
    except FileNotFoundError:
        return None
    except Changed as change:
        logger.info("Upload %s checked again at commit: %s", file_name, change)
        return None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, LookupError, AttributeError):
        logger.warning("The checked reports of upload %s could not be read; checked again", file_name, exc_info=True)
        return None
    return Kept(reports, outline)


def _require_complete(report: CheckedReport) -> None:
    """Raise :class:`Changed` when ``report`` is not complete for review (the file is checked again: the
    problems at their cells). An updated draft that keeps parts of its own is left to the writer, which reads
    them."""
    if report.keeps_stored_parts:
        return
    errors = Errors()
    check_complete(
        report_values=report.report_values,
        detection_methods=report.report_values.get("detection_methods") or [],
        items=report.parts.get("items") or [],
        route=report.parts.get("route") or [],
        errors=errors,
    )
    if errors.paths:
        raise Changed(f"report {report.report_values.get('national_reference')} is not complete for review")


def _require_unchanged(actor: Actor, given: list[tuple[str, int | None]]) -> None:
    """Raise :class:`Changed` when a report of the actor's administration was created under one of the new
    references, or a replaced one left the draft and returned states, since the check."""
    existing = existing_reports(actor, [reference for reference, _ in given])
    for reference, existing_id in given:
        now = existing.get(reference)
        if existing_id is None and now is not None:
            raise Changed(f"report {reference} was created meanwhile")
        still_editable = now is not None and now[0] == existing_id and now[1] in EDITABLE_STATES
        if existing_id is not None and not still_editable:
            raise Changed(f"report {reference} changed state")
