"""Checked reports held pickled, a piece of reports at a time: what a check hands to its commit.

A cleaned report is a few dictionaries of values and terms: on 100,000 rows some 64,000 of them held until the
check ends took about 300 MB as objects, and a tenth of that pickled. :class:`ReportSpool` pickles them in pieces
of :data:`PIECE` as the check goes; the pieces are what the upload's kept file holds (``apps.uploads.checked``),
one after the other, each with a memo of its own.

Model instances are written by label and primary key (never pickled whole) and read again from the database
(only the models a cleaned report holds: vocabularies, HS codes, joint operations);
:class:`Unpickler` accepts no class but the few plain value types and our own choices the reports hold, so even
an altered file cannot run code.
"""

from __future__ import annotations

import copyreg
import datetime as dt
import io
import pickle
import sys
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import cache
from typing import Any, overload

from django.apps import apps as django_apps
from django.db.models import Choices, Model

from apps.core.caches import process_cache_register
from apps.reference.models import HSCode
from apps.reports import catalogue
from apps.reports.models import Operation

from .writing import CheckedReport, Outline

# Reports per piece.
PIECE = 2000
# The only classes a piece may name (plain values of the cleaned reports, and the report itself).
_ALLOWED = {
    ("decimal", "Decimal"): Decimal,
    ("datetime", "date"): dt.date,
    ("datetime", "time"): dt.time,
    ("datetime", "datetime"): dt.datetime,
    ("datetime", "timezone"): dt.timezone,
    ("datetime", "timedelta"): dt.timedelta,
    ("apps.uploads.writing", "CheckedReport"): CheckedReport,
    ("apps.uploads.writing", "Outline"): Outline,
}


@cache
def _held_models() -> dict[str, type[Model]]:
    """The models whose instances a cleaned report holds, by label: the catalogue's vocabularies, HS codes and
    joint operations (a kept file naming any other is refused, never looked up)."""
    held: list[type[Model]] = [HSCode, Operation]
    for part in ("report", *catalogue.ROW_PARTS):
        held += [spec.vocabulary for spec in catalogue.fields(part) if spec.vocabulary is not None]
    return {model._meta.label: model for model in held}


process_cache_register("uploads.spool.held_models", _held_models.cache_clear)


class Changed(Exception):
    """Something the checked reports rely on changed since the check (a term gone or no longer in use)."""


def _term(label: str, pk: Any) -> Model:
    """A model instance kept by label and primary key (what the pickler writes in place of the instance; the
    unpickler answers it from the database, see ``Unpickler.find_class``)."""
    raise pickle.UnpicklingError("a kept instance is loaded by the unpickler only")


def _refused(instance: Model) -> Any:
    """A model instance no cleaned report should hold: an error where the check keeps its reports, not a kept
    file the commit must throw away."""
    raise pickle.PicklingError(f"{instance._meta.label} is not a model whose instances a checked report holds")


def _by_label(instance: Model) -> tuple[Any, tuple[str, Any]]:
    return _term, (instance._meta.label, instance.pk)


class _Pickler(pickle.Pickler):
    """Model instances written by label and primary key, through the dispatch table: looked up by the pickler's
    C code for the few types it does not write itself, so the values of the reports (strings, numbers, dicts)
    cost no Python call each, as a ``persistent_id`` hook would."""

    def __init__(self, file: Any, known: dict[tuple[str, Any], Model]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)

        def by_label(instance: Model) -> tuple[Any, tuple[str, Any]]:
            reduced = _by_label(instance)
            known[reduced[1]] = instance  # read back in this process: the very instance the check cleaned
            return reduced

        self.dispatch_table = {
            **copyreg.dispatch_table,
            **dict.fromkeys(django_apps.get_models(), _refused),
            **dict.fromkeys(_held_models().values(), by_label),
        }


class Unpickler(pickle.Unpickler):
    """One piece read back; ``instances`` (by label, each read once) shared by the pieces of one file. ``known``:
    the instances the pieces were written from, when read back in the process that wrote them (no query, and
    no second look at a term: the check took it as it was)."""

    def __init__(
        self, file: Any, instances: dict[str, dict[Any, Model]], known: dict[tuple[str, Any], Model] | None = None
    ) -> None:
        super().__init__(file)
        # Not a method of the unpickler: its memo keeps what find_class answers, and a cycle through the memo
        # would keep every value of the piece until the garbage collector runs (paused while an upload is checked
        # or committed).
        self.instance = _Instances(instances, known)

    def find_class(self, module: str, name: str) -> Any:
        # A kept file written before this module held the pickler named the function by its former module.
        if name == "_term" and module in (__name__, "apps.uploads.checked"):
            return self.instance
        if (module, name) in _ALLOWED:
            return _ALLOWED[module, name]
        if module.startswith("apps.") and module.endswith(".choices"):
            # A choice of our own (an enum, made from its value): found in our modules, never imported anew.
            found = getattr(sys.modules.get(module), name, None)
            if isinstance(found, type) and issubclass(found, Choices):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a value of a checked report.")


def pickled(value: Any, known: dict[tuple[str, Any], Model]) -> bytes:
    """``value`` pickled as a piece is (model instances by label and key, noted in ``known``)."""
    buffer = io.BytesIO()
    _Pickler(buffer, known).dump(value)
    return buffer.getvalue()


def require_instances(keys: Iterable[tuple[str, Any]], instances: dict[str, dict[Any, Model]]) -> None:
    """Raise :class:`Changed` if an instance named by label and key is gone or no longer in use (each model read
    once into ``instances``, as :class:`Unpickler` reads them)."""
    lookup = _Instances(instances, None)
    for label, pk in keys:
        lookup(label, pk)


class _Instances:
    """The model instance a piece names by label and primary key (see :class:`Unpickler`)."""

    def __init__(self, instances: dict[str, dict[Any, Model]], known: dict[tuple[str, Any], Model] | None) -> None:
        self.instances = instances
        self.known = known

    def __call__(self, label: Any, pk: Any) -> Model:
        model = _held_models().get(label) if isinstance(label, str) else None
        if model is None:
            raise pickle.UnpicklingError(f"{label!r} is not a model whose instances a checked report holds")
        known = self.known.get((label, pk)) if self.known is not None else None
        if known is not None:
            return known
        if label not in self.instances:
            # Vocabularies, HS codes and operations: small tables, each read once.
            self.instances[label] = model._default_manager.in_bulk()
        instance = self.instances[label].get(pk)
        if instance is None or getattr(instance, "active", True) is False:
            raise Changed(f"{label} {pk} is gone or no longer in use")
        return instance


class ReportSpool(Sequence[CheckedReport]):
    """Checked reports, appended one at a time and held pickled in pieces; read back as a sequence."""

    def __init__(
        self, reports: Iterable[CheckedReport] = (), *, known: dict[tuple[str, Any], Model] | None = None
    ) -> None:
        self._pieces: list[bytes | memoryview] = []
        # The instances written, by label and primary key (``known``: shared by the spools of one check).
        self._known: dict[tuple[str, Any], Model] = {} if known is None else known
        # The instances read back from the database, by label (for every piece: each table read once).
        self._instances: dict[str, dict[Any, Model]] = {}
        self._open: list[CheckedReport] = []
        self._count = 0
        for report in reports:
            self.append(report)

    @classmethod
    def of_pieces(
        cls,
        pieces: Iterable[bytes | memoryview],
        *,
        count: int,
        known: dict[tuple[str, Any], Model] | None = None,
        instances: dict[str, dict[Any, Model]] | None = None,
    ) -> ReportSpool:
        """A spool of pieces already pickled (``count`` reports in all): those of the shares of a check, in the
        file's order, or of a kept file. ``known``: the instances some of them were written from in this process;
        ``instances``: those already read back (by label, as :class:`Unpickler` keeps them)."""
        spool = cls(known=known)
        spool._pieces = list(pieces)
        spool._count = count
        spool._instances = {} if instances is None else instances
        return spool

    def append(self, report: CheckedReport) -> None:
        self._open.append(report)
        self._count += 1
        if len(self._open) >= PIECE:
            self.seal()

    def seal(self) -> None:
        """Pickle the reports appended since the last piece (a piece of its own, however few)."""
        if self._open:
            self._pieces.append(pickled(self._open, self._known))
            self._open = []

    def pieces(self) -> list[bytes | memoryview]:
        """The pickled pieces, each a list of reports (the kept file is these, one after the other)."""
        self.seal()
        return self._pieces

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[CheckedReport]:
        """Every report, unpickled (each time: read once, as the commit does)."""
        for piece in self.pieces():
            yield from Unpickler(io.BytesIO(piece), self._instances, self._known).load()

    @overload
    def __getitem__(self, index: int) -> CheckedReport: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[CheckedReport]: ...
    def __getitem__(self, index: int | slice) -> CheckedReport | Sequence[CheckedReport]:
        return list(self)[index]  # unpickles every piece: for a few reads, not a loop
