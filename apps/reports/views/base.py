"""Shared by the report pages: the report-or-404 lookup, the rendering of the domain's refusals, htmx helpers."""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from apps.core.exceptions import Conflict, NotFound
from apps.core.request_actor import request_actor

from ..models import Report
from ..selectors import report_get

FORM_NAME = "reports.report"
PAGE_SIZE = 25
OPTION_LIMIT = 20
PLAIN_TEXT = "text/plain; charset=utf-8"  # refusals of htmx requests: words, never markup

View = Callable[..., HttpResponseBase]


def report_or_404(request: HttpRequest, uuid: uuid_module.UUID, action: str = "view", personal: bool = False) -> Report:
    """The report if the user may take ``action`` on it; anything else is a 404."""
    try:
        return report_get(user=request_actor(request), uuid=uuid, action=action, with_personal_data=personal)
    except NotFound as error:
        raise Http404(error.message) from error


def domain_errors(view: View) -> View:
    """A report's wrong state sends the user back to the report with the reason (unknown and not allowed are
    the 404 and 403 pages of :class:`apps.core.middleware.DomainErrorMiddleware`)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except Conflict as error:
            messages.error(request, error.message)
            if "uuid" in kwargs:
                return redirect("reports:detail", uuid=kwargs["uuid"])
            return redirect("reports:list")

    return wrapper


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def last_value(request: HttpRequest, *, key: str, suffixes: tuple[str, ...]) -> str:
    """The searched text: ``key`` or the field the htmx request came from (named ``items-0-hs_code``…)."""
    if request.GET.get(key):
        return str(request.GET.get(key, "")).strip()
    for name, value in request.GET.items():
        if name.endswith(suffixes):
            return str(value).strip()
    return ""
