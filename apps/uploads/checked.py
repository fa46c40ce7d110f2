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

The file is a pickle written by the worker only, under the private uploads root; model instances are kept by
label and primary key (never pickled whole) and loaded again from the database, and reading it accepts no
class but the few plain value types and our own choices the reports hold, so even an altered file cannot run code.
"""

from __future__ import annotations

import copyreg
import datetime as dt
import io
import logging
import pickle
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps as django_apps
from django.db.models import Choices, Model

from apps.core.actor import Actor
from apps.reports.choices import EDITABLE_STATES
from apps.reports.errors import Errors
from apps.reports.validation import check_complete

from .checking import existing_reports
from .storage import stored_path
from .writing import CheckedReport

logger = logging.getLogger(__name__)

SUFFIX = ".checked"
# Reports per pickle of the kept file (the file is a run of pickles, each a list of reports).
_PIECE = 2000
# The only classes the kept file may name (plain values of the cleaned reports, and the report itself).
_ALLOWED = {
    ("decimal", "Decimal"): Decimal,
    ("datetime", "date"): dt.date,
    ("datetime", "time"): dt.time,
    ("datetime", "datetime"): dt.datetime,
    ("datetime", "timezone"): dt.timezone,
    ("datetime", "timedelta"): dt.timedelta,
    ("apps.uploads.writing", "CheckedReport"): CheckedReport,
}


class _Changed(Exception):
    """Something the checked reports rely on changed since the check."""


def checked_path(file_name: str) -> Path:
    """Where the checked reports of the upload whose stored file is ``file_name`` are kept."""
    return stored_path(file_name + SUFFIX)


def checked_delete(file_name: str) -> None:
    if file_name:
        checked_path(file_name).unlink(missing_ok=True)


def _term(label: str, pk: Any) -> Model:
    """A model instance kept by label and primary key (what the pickler writes in place of the instance; the
    unpickler answers it from the database, see ``_Unpickler.find_class``)."""
    raise pickle.UnpicklingError("a kept instance is loaded by the unpickler only")


def _by_label(instance: Model) -> tuple[Any, tuple[str, Any]]:
    return _term, (instance._meta.label, instance.pk)


class _Pickler(pickle.Pickler):
    """Model instances written by label and primary key, through the dispatch table: looked up by the pickler's
    C code for the few types it does not write itself, so the values of the reports (strings, numbers, dicts)
    cost no Python call each, as a ``persistent_id`` hook would."""

    def __init__(self, file: Any) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.dispatch_table = {**copyreg.dispatch_table, **dict.fromkeys(django_apps.get_models(), _by_label)}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: Any, instances: dict[str, dict[Any, Model]]) -> None:
        super().__init__(file)
        self.instances = instances  # by label, read once for the whole file

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (__name__, "_term"):
            return self.instance
        if (module, name) in _ALLOWED:
            return _ALLOWED[module, name]
        if module.startswith("apps.") and module.endswith(".choices"):
            # A choice of our own (an enum, made from its value): found in our modules, never imported anew.
            found = getattr(sys.modules.get(module), name, None)
            if isinstance(found, type) and issubclass(found, Choices):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a value of a checked report.")

    def instance(self, label: Any, pk: Any) -> Model:
        if not isinstance(label, str):
            raise pickle.UnpicklingError("not a model's label")
        if label not in self.instances:
            # Vocabularies, HS codes and operations: small tables, each read once.
            self.instances[label] = django_apps.get_model(label).objects.in_bulk()
        instance = self.instances[label].get(pk)
        if instance is None or getattr(instance, "active", True) is False:
            raise _Changed(f"{label} {pk} is gone or no longer in use")
        return instance


def checked_store(*, file_name: str, reports: Sequence[CheckedReport]) -> None:
    """Keep the checked ``reports`` of the upload whose stored file is ``file_name`` (replacing any kept)."""
    path = checked_path(file_name)
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as file:
        pickler = _Pickler(file)
        # In pieces, the pickler's memo emptied after each: it holds every object written until then, as much
        # memory again as the reports themselves on a large upload.
        for start in range(0, len(reports), _PIECE):
            pickler.dump(list(reports[start : start + _PIECE]))
            pickler.clear_memo()
    partial.replace(path)


def checked_load(*, file_name: str, actor: Actor, submit: bool) -> list[CheckedReport] | None:
    """The kept checked reports, if nothing they rely on changed since the check (see the module's docstring);
    ``None`` when the file must be checked again."""
    path = checked_path(file_name)
    try:
        reports: list[Any] = []
        instances: dict[str, dict[Any, Model]] = {}
        with path.open("rb") as file:
            stream = io.BufferedReader(file, buffer_size=1 << 20)
            while stream.peek(1):  # one unpickler per piece: each was written with an empty memo
                piece = _Unpickler(stream, instances).load()
                if not isinstance(piece, list):
                    raise pickle.UnpicklingError("not a list of checked reports")
                reports.extend(piece)
        _verify(reports, actor=actor, submit=submit)
    except FileNotFoundError:
        return None
    except _Changed as change:
        logger.info("Upload %s checked again at commit: %s", file_name, change)
        return None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, LookupError, AttributeError):
        logger.warning("The checked reports of upload %s could not be read; checked again", file_name, exc_info=True)
        return None
    return list(reports)


def _verify(reports: Any, *, actor: Actor, submit: bool) -> None:
    if not isinstance(reports, list) or not all(isinstance(report, CheckedReport) for report in reports):
        raise pickle.UnpicklingError("not a list of checked reports")
    references = [str(report.report_values.get("national_reference") or "") for report in reports]
    existing = existing_reports(actor, references)
    for reference, report in zip(references, reports, strict=True):
        now = existing.get(reference)
        if report.existing_id is None and now is not None:
            raise _Changed(f"report {reference} was created meanwhile")
        still_editable = now is not None and now[0] == report.existing_id and now[1] in EDITABLE_STATES
        if report.existing_id is not None and not still_editable:
            raise _Changed(f"report {reference} changed state")
        if submit:
            errors = Errors()
            check_complete(
                report_values=report.report_values,
                detection_methods=report.report_values.get("detection_methods") or [],
                items=report.parts.get("items") or [],
                route=report.parts.get("route") or [],
                errors=errors,
            )
            if errors.paths:
                raise _Changed(f"report {reference} is not complete for review")
