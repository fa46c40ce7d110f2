"""Exports of the report list and of the review queue, as CSV or XLSX.

Up to ``RILO_EXPORT_ROW_LIMIT`` rows the file streams at once (in about a second). A larger export is made
by a background job instead, so a web worker's timeout never cuts a download short: the GET shows a page
saying so with a button (a POST with its CSRF token) that starts the job. A GET never starts one: a link
followed by a crawler or a prefetching browser must not queue exports. An owner with too many exports waiting
gets that page again (409) saying why, with a link to "My exports".

A GET that a browser says comes from another site (``Sec-Fetch-Site: cross-site``) is refused (403, a page saying
why with a link back to the list): a crafted link elsewhere must not make a signed-in user download an export and
be recorded in the audit log as reading it. Same-origin, same-site, a typed address (``none``) and browsers that
send no such header proceed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from apps.core.exceptions import Conflict
from apps.core.keyset import bounded_count
from apps.core.request_actor import request_actor
from apps.jobs.services import job_create

from ..export_jobs import KIND, export_parameters
from ..exports import (
    FORMATS,
    export_chunks,
    export_download_name,
    export_list,
    export_permissions,
    export_rows,
)
from ..filtersets import filters_used, list_filterset
from .lists import list_page


def _large_page(request: HttpRequest, *, queue: bool, file_format: str, refusal: str = "") -> HttpResponseBase:
    """The page offering a background job for an export above the limit; 409 with ``refusal`` if one was refused."""
    context = {
        "queue": queue,
        "limit": settings.RILO_EXPORT_ROW_LIMIT,
        "file_format": file_format.upper(),
        "refusal": refusal,
    }
    return render(request, "reports/export_large.html", context, status=409 if refusal else 200)


def _cross_site(request: HttpRequest) -> bool:
    """Whether the browser says the request was started by another site (a link or a form elsewhere)."""
    return request.headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site"


def _export(request: HttpRequest, *, list_name: str, file_format: str) -> HttpResponseBase:
    if not all(request.user.has_perm(name) for name in export_permissions(list_name=list_name)):
        raise PermissionDenied
    queue = list_name == "review_queue"
    if request.method == "GET" and _cross_site(request):
        return render(request, "reports/export_cross_site.html", {"queue": queue}, status=403)
    actor = request_actor(request)
    reports = export_list(user=actor, list_name=list_name)
    filterset = list_filterset(request.GET, reports, user=actor, queue=queue)
    if filterset.is_bound and not filterset.is_valid():
        # The list page again, with the filters' errors (escaped by the template): never the input as markup.
        return list_page(request, queue=queue, export_refused=True)
    if request.method == "POST":
        parameters = export_parameters(
            list_name=list_name, file_format=file_format, filters=request.GET, language=get_language() or ""
        )
        try:
            job = job_create(kind=KIND, parameters=parameters, actor=actor)
        except Conflict as refusal:  # too many exports waiting: this page again, saying so
            return _large_page(request, queue=queue, file_format=file_format, refusal=refusal.message)
        return redirect("jobs:detail", uuid=job.uuid)
    rows = export_rows(filterset, list_name=list_name)
    if not bounded_count(rows, limit=settings.RILO_EXPORT_ROW_LIMIT)[1]:  # more rows than a request streams
        return _large_page(request, queue=queue, file_format=file_format)
    chunks = export_chunks(
        user=actor, reports=rows, file_format=file_format, filters=filters_used(request.GET, filterset)
    )
    response = StreamingHttpResponse(chunks, content_type=FORMATS[file_format])
    filename = export_download_name(list_name=list_name, file_format=file_format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def report_export(request: HttpRequest, file_format: str = "csv") -> HttpResponseBase:
    """The report list as CSV or XLSX, with the list's filters (a background job above the limit)."""
    return _export(request, list_name="reports", file_format=file_format)


@login_required
@require_http_methods(["GET", "POST"])
def review_queue_export(request: HttpRequest, file_format: str = "csv") -> HttpResponseBase:
    """The review queue as CSV or XLSX, with the queue's filters (a background job above the limit)."""
    return _export(request, list_name="review_queue", file_format=file_format)
