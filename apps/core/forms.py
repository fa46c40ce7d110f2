"""Form plumbing shared by every app's pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.forms import BaseForm
from django.utils.translation import gettext as _

from .exceptions import ApplicationError


def show_errors(form: BaseForm, exc: ApplicationError | DjangoValidationError) -> None:
    """Put a service's refusal beside the fields it names, or at the top of the form."""
    if isinstance(exc, DjangoValidationError):
        errors: dict[str, Any] = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        message = ""
    else:
        errors, message = exc.extra, exc.message
    placed = False
    for field, field_errors in errors.items():
        if field in form.fields:
            form.add_error(field, field_errors)
            placed = True
        elif field == NON_FIELD_ERRORS:
            form.add_error(None, field_errors)
            placed = True
    if not placed:
        form.add_error(None, message or _("The change was refused."))
