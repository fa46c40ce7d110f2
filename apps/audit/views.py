"""The audit log page: auditors browse who did what and who read personal data in their region."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.request_actor import request_actor

from .forms import AuditFilterForm
from .selectors import audit_event_list

EVENTS_PER_PAGE = 50


@login_required
@permission_required("audit.view_auditevent", raise_exception=True)
def event_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = {key: value for key, value in form.cleaned_data.items() if value} if form.is_valid() else {}
    events = audit_event_list(user=request_actor(request), filters=filters)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in request.GET.items() if key != "page" and value})
    return render(request, "audit/event_list.html", {"form": form, "page_obj": page, "query": query})
