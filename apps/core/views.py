"""Home page: tells each role what it can do next."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .navigation import entries_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    next_steps = [
        {"label": entry.label, "url": url, "description": entry.description}
        for entry, url in entries_for(request.user)
        if entry.url_name != "core:home"
    ]
    return render(request, "core/home.html", {"next_steps": next_steps})


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe for load balancers and compose health checks."""
    return HttpResponse("ok", content_type="text/plain")
