"""The report list and the review queue (their exports: views/exports.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from apps.autosave.selectors import form_drafts_pending
from apps.core.request_actor import request_actor

from ..filtersets import ReportFilterSet
from ..selectors import report_list, review_queue
from .base import FORM_NAME, PAGE_SIZE


def _filterset(request: HttpRequest, reports: Any, *, queue: bool) -> ReportFilterSet:
    """The list's filters; the review queue has no state or ordering of its own to choose."""
    filterset = ReportFilterSet(request.GET or None, queryset=reports, request=request)
    if queue:
        for name in ("status", "ordering"):
            filterset.filters.pop(name, None)
            filterset.form.fields.pop(name, None)
    return filterset


def _list_page(request: HttpRequest, reports: Any, *, queue: bool, export_refused: bool = False) -> HttpResponse:
    filterset = _filterset(request, reports, queue=queue)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else reports
    if filterset.is_bound and not filterset.is_valid():
        rows = reports.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    pending = form_drafts_pending(user=request_actor(request), form=FORM_NAME, report_id=None)[:5] if not queue else []
    return render(
        request,
        "reports/list.html",
        {
            "queue": queue,
            "filterset": filterset,
            "filters_applied": any(value and name in filterset.filters for name, value in request.GET.items()),
            "page": page,
            "query": query.urlencode(),
            "export_url": reverse("reports:review_queue_export" if queue else "reports:export"),
            "pending_drafts": pending,
            "show_administration": request.user.is_rilo_staff,  # type: ignore[union-attr]
            "can_add": request.user.has_perm("reports.add_report"),
            "can_export": request.user.has_perm("reports.export_report"),
            "export_refused": export_refused,
        },
        status=400 if export_refused else 200,
    )


@login_required
@permission_required("reports.view_report", raise_exception=True)
@require_GET
def report_list_view(request: HttpRequest) -> HttpResponse:
    """The reports the user may see: an administration's own, or a region's submitted ones for RILO staff."""
    return _list_page(request, report_list(user=request_actor(request)), queue=False)


@login_required
@permission_required("reports.review_report", raise_exception=True)
@require_GET
def review_queue_view(request: HttpRequest) -> HttpResponse:
    """Submitted reports of the analyst's region waiting for review, oldest first."""
    return _list_page(request, review_queue(user=request_actor(request)), queue=True)
