"""Form plumbing every app's pages share: a service's refusal shown on the form that asked for the change.

The templates that go with it live in ``templates/core/includes/``: ``field.html`` and ``fields.html`` (a
labelled field with its help text and errors), ``error_summary.html`` (every error at the top of the page,
each linking to its field) and ``pagination.html``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import BaseForm
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .exceptions import ApplicationError
from .numbers import NumberError, parse_decimal, parse_integer
from .widgets import ISO_DATE_FORMAT, IsoDateInput


def show_errors(
    form: BaseForm, error: ApplicationError | ValidationError, *, renamed: Mapping[str, str] | None = None
) -> None:
    """Put a service's refusal on ``form``: each message beside the field it names, the others at the top.

    A ``ValidationError`` keyed by field puts each message beside its field (a key the form does not
    have, or none, puts it at the top); an :class:`ApplicationError` places the fields its ``extra``
    names and otherwise shows its message at the top. ``renamed`` maps a service's name of a field to
    the form's where they differ (``{"expires_at": "expires_in_days"}``).
    """
    renamed = renamed or {}
    if isinstance(error, ValidationError):
        errors: dict[str, Any] = (
            error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
        )
        for name, messages in errors.items():
            field = renamed.get(name, name)
            form.add_error(field if field in form.fields else None, messages)
        return
    placed = False
    for name, messages in error.extra.items():
        field = renamed.get(name, name)
        if field in form.fields:
            form.add_error(field, messages)
            placed = True
        elif field == NON_FIELD_ERRORS:
            form.add_error(None, messages)
            placed = True
    if not placed:
        form.add_error(None, error.message or _("The change was refused."))


class IsoDateField(forms.DateField):
    """A date typed or sent as ``YYYY-MM-DD`` only: a query string means the same period in every language
    (``03/04/2024`` would be March in English and April in French)."""

    widget = IsoDateInput
    # Before it nothing is recorded, and periods counted back from it (a year earlier) stay valid dates.
    earliest = dt.date(1900, 1, 1)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [ISO_DATE_FORMAT])
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.date | None:
        day = super().to_python(value)
        if day is not None and day < self.earliest:
            raise ValidationError(
                _("Enter a date from %(earliest)s on."),
                code="too_early",
                params={"earliest": self.earliest.isoformat()},
            )
        return day


class AnyLanguageDecimalField(forms.DecimalField):
    """A decimal read by the one rule of :mod:`apps.core.numbers` (``12,5``, ``1 234,5``; ``1,234`` refused as
    ambiguous), shown in the page's language (``12,5`` in French)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("localize", True)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        """A stored number as the reader writes it, without the zeros its column adds (``12.500`` as ``12,5``),
        and never in a form the rule refuses: ``1.234`` is shown ``1,2340`` in French, not the ambiguous
        ``1,234``, so that the form sent back unchanged is read as it was."""
        if not isinstance(value, Decimal) or not value.is_finite():
            return value
        value = value.normalize()
        if value.as_tuple().exponent > 0:  # type: ignore[operator]
            value = value.quantize(Decimal(1))
        if not self.localize:
            return value
        shown = formats.localize_input(value)
        try:
            if parse_decimal(shown) == value:
                return shown
        except NumberError:
            pass
        return formats.localize_input(value.quantize(Decimal(10) ** (value.as_tuple().exponent - 1)))  # type: ignore[operator]

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # (DecimalField is an IntegerField)
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return parse_decimal(str(value))
        except NumberError as error:
            raise ValidationError(error.message, code="invalid") from None


class AnyLanguageIntegerField(forms.IntegerField):
    """A whole number read by the one rule of :mod:`apps.core.numbers` (``1 234``; ``1,234`` refused)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("localize", True)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return parse_integer(str(value))
        except NumberError as error:
            raise ValidationError(error.message, code="invalid") from None
