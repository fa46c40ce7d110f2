"""Validation errors of a report with structured paths, and the one place their paths become keys.

The domain (``apps.reports.validation``) collects its errors in :class:`Errors` by *path*: a tuple that names
a report field (``("seizure_date",)``), a field of a row of a part (``("items", 0, "quantity")``, the part by
its wire key from the field catalogue) or a whole part (``("route",)``); ``()`` is the report as a whole.
It raises them as one :class:`ReportValidationError`, a Django ``ValidationError`` whose ``message_dict``
keeps the formset-style keys forms have always read (``items-0-quantity``) and whose ``paths`` holds the
same messages by path. Consumers never parse a key back; they take the paths and convert:

- :func:`paths_of` (``error``): the messages by path of any ``ValidationError`` (one a service raised by
  field name has one-element paths; one without fields has ``()``);
- :func:`form_key` (``path``): the web form's key, a field name or ``<part>-<index>-<field>`` as a formset
  prefixes it (``items-0-quantity``), ``__all__`` for ``()``;
- :func:`api_key` (``path``): the API's flat field path, ``items[0].quantity``, ``non_field_errors`` for ``()``;
- :func:`wire_key` (``path``): the path in an inbound exchange message, ``data.items[0].quantity`` or
  ``data.report.seizure_date``.

A form shows a domain error beside its field with, for instance::

    for path, texts in paths_of(error).items():
        match path:
            case (str() as part, int() as index, str() as name): ...  # the row's form in the part's formset
            case (str() as name,): ...                                # a report field, or a whole part
            case _: ...                                               # the form as a whole
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation
from django.utils.functional import Promise

from . import catalogue

Path = tuple[str | int, ...]
_ROW_WIRE_KEYS = frozenset(catalogue.part(name).wire_key for name in catalogue.ROW_PARTS)


def form_key(path: Path) -> str:
    """``("items", 0, "quantity")`` → ``items-0-quantity``; ``("seizure_date",)`` → ``seizure_date``."""
    return "-".join(str(step) for step in path) if path else NON_FIELD_ERRORS


def api_key(path: Path) -> str:
    """``("items", 0, "quantity")`` → ``items[0].quantity``; ``("seizure_date",)`` → ``seizure_date``."""
    key = ""
    for step in path:
        key += f"[{step}]" if isinstance(step, int) else (f".{step}" if key else step)
    return key or "non_field_errors"


def wire_key(path: Path) -> str:
    """``("items", 0, "quantity")`` → ``data.items[0].quantity``; ``("place",)`` → ``data.report.place``."""
    if path and path[0] in _ROW_WIRE_KEYS:
        return f"data.{api_key(path)}"
    return f"data.report.{api_key(path)}" if path else "data.report"


class ReportValidationError(ValidationError):
    """A ``ValidationError`` of a report's input: ``message_dict`` by form key (see :func:`form_key`),
    ``paths`` by structured path."""

    def __init__(self, paths: dict[Path, list[str]]) -> None:
        super().__init__({form_key(path): list(messages) for path, messages in paths.items()})
        self.paths = {path: list(messages) for path, messages in paths.items()}


def paths_of(error: ValidationError) -> dict[Path, list[str]]:
    """The messages of ``error`` by path (see the module's docstring)."""
    if isinstance(error, ReportValidationError):
        return error.paths
    if hasattr(error, "error_dict"):
        return {(() if key == NON_FIELD_ERRORS else (key,)): texts for key, texts in error.message_dict.items()}
    return {(): list(error.messages)}


@dataclass
class Errors:
    """Collects messages per path and raises them all at once (a :class:`ReportValidationError`).

    ``language`` is the language active when it was made: the validator reads choices' labels in it, once per
    report rather than once per field (an upload cleans millions of fields). An ``Errors`` is made where the
    values are cleaned, in the language of the messages it collects."""

    paths: dict[Path, list[str]] = field(default_factory=dict)
    language: str = field(default_factory=lambda: translation.get_language() or "", compare=False)

    def add(self, path: Path | str, message: str | Promise) -> None:
        """Add ``message`` at ``path`` (a plain string names a report field); a lazily translated message is
        rendered now, in the active language (the request's, or the one a task activated for its user)."""
        self.paths.setdefault((path,) if isinstance(path, str) else path, []).append(str(message))

    def __contains__(self, path: Path | str) -> bool:
        return ((path,) if isinstance(path, str) else path) in self.paths

    @property
    def messages(self) -> dict[str, list[str]]:
        """The messages by form key (``items-0-quantity``), as forms read them."""
        return {form_key(path): messages for path, messages in self.paths.items()}

    def raise_if_any(self) -> None:
        if self.paths:
            raise ReportValidationError(self.paths)
