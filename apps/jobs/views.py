"""A user's background jobs: the list, a job's page (its progress refreshes itself), its status and its file."""

from __future__ import annotations

import uuid as uuid_module

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.core.exceptions import NotFound
from apps.core.request_actor import request_actor

from .files import finished_path
from .models import Job
from .selectors import job_get, job_list
from .services import job_download


def _job_or_404(request: HttpRequest, uuid: uuid_module.UUID) -> Job:
    try:
        return job_get(user=request_actor(request), uuid=uuid)
    except NotFound as error:
        raise Http404(error.message) from error


def _downloadable(job: Job) -> bool:
    return job.is_done and bool(job.file_name) and job.expires_at is not None and job.expires_at > timezone.now()


def _context(job: Job) -> dict[str, object]:
    percent = None
    if job.rows_total:
        percent = min(100, round(100 * job.rows_done / job.rows_total))
    return {"job": job, "downloadable": _downloadable(job), "percent": percent}


@login_required
@require_GET
def job_list_view(request: HttpRequest) -> HttpResponse:
    """The user's recent jobs (exports), their state, and a download link while the file is kept."""
    jobs = [_context(job) for job in job_list(user=request_actor(request))]
    return render(request, "jobs/list.html", {"jobs": jobs})


@login_required
@require_GET
def job_detail(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """One job: its progress (refreshed by htmx, or by the refresh link without script), then its file."""
    return render(request, "jobs/detail.html", _context(_job_or_404(request, uuid)))


@login_required
@require_GET
def job_status(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """The job's progress block alone, which the job page asks for again until the job is finished."""
    return render(request, "jobs/_progress.html", _context(_job_or_404(request, uuid)))


@login_required
@require_GET
def job_file(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponseBase:
    """The job's file while it is kept; the job's page while it is queued or running (a link followed early);
    410 with a page saying so once the file has expired or the job failed."""
    job = _job_or_404(request, uuid)
    if not job.is_finished:
        return redirect("jobs:detail", uuid=job.uuid)
    if not _downloadable(job):
        return render(request, "jobs/gone.html", _context(job), status=410)
    path = finished_path(job.file_name)
    if not path.exists():
        return render(request, "jobs/gone.html", _context(job), status=410)
    job_download(job=job, actor=request_actor(request))
    response = FileResponse(path.open("rb"), as_attachment=True, filename=job.download_name)
    response["Content-Type"] = job.content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
