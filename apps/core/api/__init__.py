"""DRF glue: one error shape for every API error.

Every error the API answers, whatever raised it (a serializer, a service's ApplicationError, DRF's
parsers, throttles and authentication, Django's 404/500 handlers), has the body::

    {"type": "<machine-readable code>", "message": "<sentence for a human>", "details": {...}}

``details`` names the fields at fault (``{"field": ["message", ...]}``) for validation errors and is
an empty object otherwise, unless the error has structured extra information.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from ..exceptions import ApplicationError

BEARER_CHALLENGE = 'Bearer realm="api"'

# Messages a client can act on, for the errors DRF words tersely.
_MESSAGES: dict[type[exceptions.APIException], str | Promise] = {
    exceptions.NotAuthenticated: _("Authentication is required: send 'Authorization: Bearer <token>'."),
    exceptions.NotFound: _("Not found."),
}


class RequestTooLarge(exceptions.APIException):
    """The request body is larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every API error (documentation only: errors are built by the exception handler)."""

    type = serializers.CharField(help_text=_("Machine-readable error code, e.g. 'invalid', 'not_found', 'throttled'."))
    message = serializers.CharField(help_text=_("What went wrong, in a sentence."))
    details = serializers.DictField(
        help_text=_("Per-field messages for validation errors ({'field': ['message']}); otherwise extra facts or {}.")
    )


def error_body(type_: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error shape as a dict."""
    return {"type": type_, "message": message, "details": details or {}}


def json_error(status_code: int, type_: str, message: str, details: dict[str, Any] | None = None) -> JsonResponse:
    """The error shape as a plain Django response, for code that runs outside DRF views."""
    return JsonResponse(error_body(type_, message, details), status=status_code)


def request_too_large_message(limit: int) -> str:
    return ngettext(
        "The request body is larger than the limit of %(limit)d byte.",
        "The request body is larger than the limit of %(limit)d bytes.",
        limit,
    ) % {"limit": limit}


def _validation_details(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return dict(detail)
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def _first_message(details: dict[str, Any]) -> str:
    """'name: This field is required.' for the first field at fault, so logs and toasts say something useful."""
    for field, messages in details.items():
        message: Any = messages
        while isinstance(message, list | dict) and message:
            message = message[0] if isinstance(message, list) else next(iter(message.values()))
        if isinstance(message, str):
            return message if field == "non_field_errors" else f"{field}: {message}"
    return "The request has invalid fields."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every error as ``{"type", "message", "details"}``; unknown exceptions propagate (500)."""
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.extra), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        details = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(details)
    elif isinstance(exc, RequestDataTooBig):
        from django.conf import settings

        exc = RequestTooLarge(request_too_large_message(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    # Imported here: DRF's views module imports the authentication classes that import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    if isinstance(exc, exceptions.ValidationError):
        details = _validation_details(exc.detail)
        response.data = error_body("invalid", _first_message(details), details)
    else:
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        if isinstance(detail, dict | list):
            message, details = str(exc.default_detail), _validation_details(detail)
        else:
            message, details = str(detail), {}
            if str(detail) == str(exc.default_detail):
                message = str(_MESSAGES.get(type(exc), message))
        if isinstance(exc, exceptions.ParseError):
            message = _("The request body could not be parsed: %(reason)s") % {"reason": detail}
        details = {**details, **getattr(exc, "error_details", {})}
        response.data = error_body(str(code), message, details)

    if isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None) or 1
        response["Retry-After"] = str(max(1, math.ceil(wait)))
    bearer_error = getattr(exc, "bearer_error", None)
    if bearer_error:
        # RFC 6750: tell the client why its bearer token was refused or is not enough.
        challenge = response.get("WWW-Authenticate", BEARER_CHALLENGE)
        response["WWW-Authenticate"] = f"{challenge}, {bearer_error}"
    return response
