"""The report list and the review queue (their exports: views/exports.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from apps.autosave.selectors import form_drafts_pending
from apps.core.keyset import Keyset, bounded_count, keyset_page
from apps.core.request_actor import request_actor

from ..filtersets import filters_used, list_filterset
from ..models import Report
from ..selectors import duplicate_candidate_counts, report_list_ordering, report_list_rows
from .base import FORM_NAME, PAGE_SIZE

# A list's count is exact up to here, past it "more than", so that counting costs no more than reading the page.
COUNT_LIMIT = 250


def _first_page(request: HttpRequest) -> HttpResponse:
    """The list's first page with the same filters: where a numbered page's link (``?page=N``, from before pages
    had cursors) or a cursor that is not one leads."""
    query = request.GET.copy()
    for name in ("page", "cursor"):
        query.pop(name, None)
    return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)


def list_page(request: HttpRequest, *, queue: bool, export_refused: bool = False) -> HttpResponse:
    """A page of the report list or of the review queue (``queue``), filtered, by keyset: the first one, or the
    one ``?cursor=`` points to, in one query whatever its depth; its count exact up to ``COUNT_LIMIT``, else
    "more than". ``export_refused``: the page an export with filters that are not valid shows (status 400)."""
    if "page" in request.GET and not export_refused:
        return _first_page(request)
    reports = report_list_rows(user=request_actor(request), queue=queue)
    filterset = list_filterset(request.GET, reports, user=request_actor(request), queue=queue)
    valid = not filterset.is_bound or filterset.is_valid()
    rows = (filterset.qs if filterset.is_bound else reports) if valid else reports.none()
    chosen = (filterset.form.cleaned_data.get("ordering") or "") if filterset.is_bound and valid else ""
    keyset = Keyset(Report, report_list_ordering(ordering=chosen, queue=queue))
    try:
        page = keyset_page(rows, keyset=keyset, cursor=request.GET.get("cursor", ""), size=PAGE_SIZE)
    except ValueError:
        return _first_page(request)
    if page.first and page.next_cursor is None:
        count, exact = len(page.rows), True  # the whole list is on this page
    else:
        count, exact = bounded_count(rows, limit=COUNT_LIMIT)
    if queue:
        counts = duplicate_candidate_counts(user=request_actor(request), report_ids=[r.pk for r in page.rows])
        for report in page.rows:
            report.duplicate_candidate_count = counts.get(report.pk, 0)
    query = request.GET.copy()
    query.pop("cursor", None)
    pending = form_drafts_pending(user=request_actor(request), form=FORM_NAME, report_id=None)[:5] if not queue else []
    return render(
        request,
        "reports/list.html",
        {
            "queue": queue,
            "filterset": filterset,
            "filters_applied": bool(filters_used(request.GET, filterset)),
            "page": page,
            "count": count,
            "count_exact": exact,
            "query": query.urlencode(),
            "export_csv_url": reverse("reports:review_queue_export" if queue else "reports:export"),
            "export_xlsx_url": reverse("reports:review_queue_export_xlsx" if queue else "reports:export_xlsx"),
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
    return list_page(request, queue=False)


@login_required
@permission_required("reports.review_report", raise_exception=True)
@require_GET
def review_queue_view(request: HttpRequest) -> HttpResponse:
    """Submitted reports of the analyst's region waiting for review, oldest first."""
    return list_page(request, queue=True)
