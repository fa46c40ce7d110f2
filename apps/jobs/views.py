"""A user's background jobs: the list, a job's page (its progress refreshes itself), its status and its file.

The job's page refreshes its progress for ``RILO_JOBS_POLL_SECONDS`` after it was opened, then offers a "Refresh"
link instead (:mod:`apps.jobs.polling`, which the upload pages share). A file is offered and served only while
:func:`job_offers_file` says its owner may still have it.
"""

from __future__ import annotations

import uuid as uuid_module

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from apps.core.actor import Actor
from apps.core.exceptions import NotFound
from apps.core.request_actor import request_actor

from .files import finished_path
from .models import Job
from .polling import page_opened, page_opened_now, still_polling
from .selectors import job_get, job_list
from .services import job_download, job_offers_file


def _job_or_404(request: HttpRequest, uuid: uuid_module.UUID) -> Job:
    try:
        return job_get(user=request_actor(request), uuid=uuid)
    except NotFound as error:
        raise Http404(error.message) from error


def _context(job: Job, actor: Actor, *, opened: int | None = None) -> dict[str, object]:
    """``opened``: when the page that refreshes itself was opened (``None``: it does not refresh)."""
    percent = None
    if job.rows_total:
        percent = min(100, round(100 * job.rows_done / job.rows_total))
    polling = still_polling(running=not job.is_finished, opened=opened)
    return {
        "job": job,
        "downloadable": job_offers_file(job=job, actor=actor),
        "percent": percent,
        "polling": polling,
        "opened": opened,
    }


@login_required
@require_GET
def job_list_view(request: HttpRequest) -> HttpResponse:
    """The user's recent jobs (exports), their state, and a download link while the file is kept."""
    actor = request_actor(request)
    jobs = [_context(job, actor) for job in job_list(user=actor)]
    return render(request, "jobs/list.html", {"jobs": jobs})


@login_required
@require_GET
def job_detail(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """One job: its progress (refreshed by htmx, or by the refresh link without script), then its file."""
    context = _context(_job_or_404(request, uuid), request_actor(request), opened=page_opened_now())
    return render(request, "jobs/detail.html", context)


@login_required
@require_GET
def job_status(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """The job's progress block alone, which the job page asks for again until the job is finished or the page
    has been open ``RILO_JOBS_POLL_SECONDS``."""
    context = _context(_job_or_404(request, uuid), request_actor(request), opened=page_opened(request))
    return render(request, "jobs/_progress.html", context)


@login_required
@require_GET
def job_file(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponseBase:
    """The job's file while it is kept and its owner may still have it; the job's page while it is queued or
    running (a link followed early); 410 with a page saying so once the file has expired, the job failed, or
    the owner's rights or post changed (the file is then deleted)."""
    job = _job_or_404(request, uuid)
    if not job.is_finished:
        return redirect("jobs:detail", uuid=job.uuid)
    actor = request_actor(request)
    context = _context(job, actor)
    if not context["downloadable"]:
        return render(request, "jobs/gone.html", context, status=410)
    path = finished_path(job.file_name)
    if not path.exists():
        return render(request, "jobs/gone.html", context, status=410)
    job_download(job=job, actor=actor)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=job.download_name)
    response["Content-Type"] = job.content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
