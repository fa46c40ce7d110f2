"""DRF glue: one error shape for every API error."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ApplicationError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every error as ``{"type", "message", "details"}``."""
    if isinstance(exc, ApplicationError):
        return Response(
            {"type": exc.code, "message": exc.message, "details": exc.extra},
            status=exc.status,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        details = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"type": "invalid", "message": "The request has invalid fields.", "details": details}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        response.data = {
            "type": getattr(detail, "code", None) or exc.default_code,
            "message": str(detail),
            "details": {},
        }
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and "Retry-After" not in response:
        response["Retry-After"] = "60"
    return response
