"""Request-wide plumbing: the request id (echoed in the response and every log line), the API's body size
limit, the domain's refusals as pages, and the benchmarks' query count."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .exceptions import Conflict, NotFound, PermissionDenied

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    """Takes a well-formed ``X-Request-ID`` from the caller or makes one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class ApiBodySizeLimitMiddleware:
    """Refuses an API request whose declared body exceeds ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413, in JSON.

    Checked before anything reads the body, so an oversized request costs nothing. Multipart
    uploads are left to Django, which counts only their non-file fields against the limit.
    """

    prefix = "/api/"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path.startswith(self.prefix) and not _is_multipart(request):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                from .api import json_error, request_too_large_message

                return json_error(413, "request_too_large", request_too_large_message(limit))
        return self.get_response(request)


def _is_multipart(request: HttpRequest) -> bool:
    return request.META.get("CONTENT_TYPE", "").startswith("multipart/")


class DomainErrorMiddleware:
    """Turns the refusals services raise in a page's view into pages, as the API's exception handler does
    into JSON: :class:`NotFound` is the 404 page, :class:`PermissionDenied` the 403 page (with its message),
    :class:`Conflict` a 409 page saying why. So views call services without a ``try`` of their own; a view
    that answers a refusal otherwise (a message on its form) still catches it first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            # Through Django's 404 handler: the same page (or JSON under /api/) as any unknown object.
            return response_for_exception(request, Http404(exception.message))
        if isinstance(exception, PermissionDenied):
            return response_for_exception(request, DjangoPermissionDenied(exception.message))
        if isinstance(exception, Conflict):
            return render(request, "409.html", {"message": exception.message}, status=409)
        return None


class QueryCountHeaderMiddleware:
    """Adds ``X-DB-Queries``: the number of SQL statements the request ran (benchmark settings only)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.db import connection

        count = 0

        def counting(execute: Callable[..., object], sql: str, params: object, many: bool, context: object) -> object:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            response = self.get_response(request)
        response["X-DB-Queries"] = str(count)
        return response
