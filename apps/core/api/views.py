"""Django-level error pages that answer JSON under /api/ and HTML elsewhere.

``rilo/urls.py`` names these as ``handler400/403/404/500``; the API's URL list ends with
:func:`api_not_found`, so that an unknown API path is a JSON 404 even with DEBUG on.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from . import json_error

API_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


@csrf_exempt  # it changes nothing; without this a POST with a session cookie would get the HTML CSRF page
def api_not_found(request: HttpRequest, unmatched: str = "") -> HttpResponse:
    """An unknown path under /api/; suggests the path with a trailing slash when that one exists."""
    message = _("There is no API endpoint at %(path)s.") % {"path": request.path}
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            message += f" Did you mean {request.path}/ ?"
    return json_error(404, "not_found", message)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return json_error(400, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return json_error(403, "permission_denied", "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        request_id = getattr(request, "request_id", "")
        return json_error(
            500,
            "server_error",
            str(_("The server failed to handle the request. Quote the request id when reporting it.")),
            {"request_id": request_id} if request_id else None,
        )
    return defaults.server_error(request)
