"""The bulk upload pages: the administration's uploads, a new upload, the templates, and an upload's page.

An upload's page shows its progress while a worker reads, checks or writes it (refreshed by htmx for
``RILO_JOBS_POLL_SECONDS`` as a job's page is, :mod:`apps.jobs.polling`; reloaded by a link without script), then
what the check found: the counts, the errors and possible duplicates at their cells, the first reports as they
will be stored, the file with its faulty cells marked, and the buttons to save the reports or cancel. Every
upload is looked up through the selectors (its administration's users who may upload; anyone else gets 404).
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from apps.core.exceptions import ApplicationError, NotFound
from apps.core.forms import show_errors
from apps.core.keyset import Keyset, bounded_count, keyset_page
from apps.core.request_actor import request_actor
from apps.jobs.polling import page_opened, page_opened_now, still_polling
from apps.reports import catalogue

from . import selectors, services
from .choices import DEFAULT_VARIANT, WORKING_STATES, UploadState
from .downloads import Download, upload_marked_download, upload_template_file
from .forms import CommitForm, TemplateForm, UploadForm
from .models import Upload, UploadProblem
from .querysets import may_upload
from .storage import LimitedUploadHandler, declared_too_large, limit_upload, received_discard

PAGE_SIZE = 25
COUNT_LIMIT = 250
# An upload's page lists this many errors (and as many possible duplicates); the marked workbook has them all.
PROBLEMS_SHOWN = 200
# The separators a CSV file may use, named for the page (the file's own character would be unreadable: a tab).
SEPARATOR_NAMES = {",": _("commas"), ";": _("semicolons"), "\t": _("tabs")}

View = Callable[..., HttpResponseBase]


def uploader_required(view: View) -> View:
    """The upload pages are for the users of an administration who may add reports (others: 403, no row shown)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_upload(request_actor(request)):
            raise PermissionDenied(gettext("Only the users of an administration who may add reports upload them."))
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _upload_or_404(request: HttpRequest, uuid: uuid_module.UUID) -> Upload:
    """The upload if the user's administration sent it and they may upload; anyone else, whatever their role, gets
    404 (never 403: an upload of another administration does not exist for them)."""
    try:
        return selectors.upload_get(user=request_actor(request), uuid=uuid)
    except NotFound as error:
        raise Http404(error.message) from error


def _progress_context(upload: Upload, *, opened: int | None) -> dict[str, Any]:
    """What the progress block needs; ``opened``: when the page that refreshes itself was opened (``None``: it
    does not refresh)."""
    working = upload.state in WORKING_STATES
    done = upload.rows_written if upload.state == UploadState.COMMITTING else upload.rows_checked
    percent = min(100, round(100 * done / upload.rows_total)) if working and upload.rows_total else None
    return {
        "upload": upload,
        "states": UploadState,
        "working": working,
        "percent": percent,
        "polling": still_polling(running=working, opened=opened),
        "opened": opened,
    }


def _first_problems(problems: QuerySet[UploadProblem]) -> tuple[list[UploadProblem], int]:
    """The first ``PROBLEMS_SHOWN`` problems and how many there are (counted only when there are more)."""
    shown = list(problems[: PROBLEMS_SHOWN + 1])
    if len(shown) <= PROBLEMS_SHOWN:
        return shown, len(shown)
    return shown[:PROBLEMS_SHOWN], problems.count()


def _preview_text(value: Any) -> str:
    """A preview's value as text: a commodity's attributes as "name: value" pairs."""
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_preview_text(item)}" for key, item in value.items())
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    return "" if value is None else str(value)


def _label(part: str, name: str) -> str:
    try:
        return str(catalogue.field(part, name).label)
    except KeyError:
        return name


def _preview_reports(preview: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored preview (the first reports as they will be stored) labelled for the page: each report's fields
    in the catalogue's order, and its items as a table with a column for each field any of them has."""
    reports = []
    for report in preview:
        values = report.get("fields", {})
        items = report.get("items", [])
        item_names = [name for name in catalogue.names("item") if any(name in item for item in items)]
        reports.append(
            {
                "reference": report.get("national_reference", ""),
                "sheet": report.get("sheet", ""),
                "row": report.get("row"),
                "updates": report.get("action") == "update",
                "fields": [
                    (_label("report", name), _preview_text(values[name]))
                    for name in catalogue.names("report")
                    if name in values
                ],
                "item_columns": [_label("item", name) for name in item_names],
                "items": [[_preview_text(item.get(name, "")) for name in item_names] for item in items],
            }
        )
    return reports


def _detail(
    request: HttpRequest, upload: Upload, *, commit_form: CommitForm | None = None, status: int = 200
) -> HttpResponse:
    # Opened now, or reloaded by the page itself without script (``?opened=`` of its first opening: see detail.html).
    opened = page_opened(request)
    now = page_opened_now()
    context = _progress_context(upload, opened=now if opened is None or opened > now else opened)
    show_preview = upload.state in (UploadState.CHECKED, UploadState.COMMITTING, UploadState.COMMITTED)
    errors: list[UploadProblem] = []
    duplicates: list[UploadProblem] = []
    errors_total = duplicates_total = 0
    actor = request_actor(request)
    if show_preview:
        errors, errors_total = _first_problems(selectors.upload_errors(upload=upload))
        duplicates, duplicates_total = _first_problems(selectors.upload_duplicates(upload=upload))
        # Messages at cells of personal data withheld from a user without the right to see it, audited for others.
        seen = selectors.upload_problems_seen(user=actor, upload=upload, problems=[*errors, *duplicates])
        errors, duplicates = seen[: len(errors)], seen[len(errors) :]
    context.update(
        {
            "show_preview": show_preview,
            "errors": errors,
            "errors_total": errors_total,
            "duplicates": duplicates,
            "duplicates_total": duplicates_total,
            # The marked workbook is the sender's whole file: only for a user who may see its personal data.
            "marked_available": errors_total > 0 and bool(upload.file_name) and selectors.may_see_personal_data(actor),
            "preview": _preview_reports(upload.preview) if show_preview else [],
            "commit_form": commit_form or CommitForm(),
            "separator_name": SEPARATOR_NAMES.get(upload.separator, upload.separator),
        }
    )
    return render(request, "uploads/detail.html", context, status=status)


@uploader_required
@require_GET
def upload_list(request: HttpRequest) -> HttpResponse:
    """The administration's uploads, newest first, a page at a time (by keyset, as the report list)."""
    uploads = selectors.upload_list(user=request_actor(request))  # ordered as the keyset pages them
    keyset = Keyset(Upload, ("-created_at", "-pk"))
    try:
        page = keyset_page(uploads, keyset=keyset, cursor=request.GET.get("cursor", ""), size=PAGE_SIZE)
    except ValueError:
        return redirect(request.path)
    if page.first and page.next_cursor is None:
        count, exact = len(page.rows), True
    else:
        count, exact = bounded_count(uploads, limit=COUNT_LIMIT)
    return render(
        request,
        "uploads/list.html",
        {"page": page, "count": count, "count_exact": exact, "states": UploadState},
    )


def _too_large_message() -> str:
    return services.upload_too_large_message()


def _new_page(request: HttpRequest, form: UploadForm, *, status: int = 200, refusal: str = "") -> HttpResponse:
    """The upload form; ``refusal``: why the file just sent was not even read (too large)."""
    template_form = TemplateForm(auto_id="template-%s")
    context = {"form": form, "template_form": template_form, "refusal": refusal}
    return render(request, "uploads/new.html", context, status=status)


@csrf_exempt
@uploader_required
@require_http_methods(["GET", "POST"])
def upload_new(request: HttpRequest) -> HttpResponse:
    """The upload form; its file is refused as soon as it passes the size limit (the handler is installed before
    the CSRF check reads the body, so the limit applies while it streams: the check itself runs next)."""
    if request.method != "POST":
        return _new_page(request, UploadForm())
    limit = services.upload_max_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared_too_large(declared, limit=limit):
        # Not read at all: the declared length already says it is too large (nor is the CSRF token read, which
        # the body holds; nothing is done but saying so).
        response = _new_page(request, UploadForm(), status=413, refusal=_too_large_message())
        response["Connection"] = "close"
        return response
    limiter = limit_upload(request, limit=limit)
    try:
        return _upload_new(request, limiter)
    finally:
        received_discard(request.FILES)  # a file the form refused before the service kept it is not left behind


@csrf_protect
def _upload_new(request: HttpRequest, limiter: LimitedUploadHandler) -> HttpResponse:
    files = request.FILES  # the body is read here (unless the CSRF check read it), through the limiter
    if limiter.too_large:
        chosen = UploadForm(initial={name: request.POST.get(name) for name in ("encoding", "variant")})
        return _new_page(request, chosen, status=413, refusal=_too_large_message())
    form = UploadForm(request.POST, files)
    if not form.is_valid():
        return _new_page(request, form, status=400)
    file = form.cleaned_data["file"]
    try:
        upload = services.upload_create(
            actor=request_actor(request),
            file=file,
            name=file.name,
            encoding=form.cleaned_data["encoding"],
            variant=form.cleaned_data["variant"],
        )
    except ApplicationError as error:
        # The service names the field it refuses as the API's details do (``{"file": ["message"]}``; the encoding,
        # the variant): the refusal is said at that field of the form.
        named = next((name for name in error.extra if name in form.fields), None)
        form.add_error(named, error.message)
        return _new_page(request, form, status=400)
    except ValidationError as error:
        show_errors(form, error)
        return _new_page(request, form, status=400)
    messages.success(request, gettext("The file is uploaded: it is being checked."))
    return redirect("uploads:detail", uuid=upload.uuid)


def _attachment(download: Download) -> HttpResponseBase:
    """A file the browser saves (never shows), kept in no cache."""
    if isinstance(download.content, bytes):
        response: HttpResponseBase = HttpResponse(download.content, content_type=download.content_type)
    else:  # a temporary file, streamed and closed with the response
        response = FileResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=download.name) or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@uploader_required
@require_GET
def upload_template(request: HttpRequest) -> HttpResponseBase:
    """A template to fill in (``?format=xlsx|csv&variant=simplified|full``; the workbook of ``DEFAULT_VARIANT``
    by default, the variant the upload form starts with), made from the field catalogue and today's code lists."""
    data = {"format": "xlsx", "variant": DEFAULT_VARIANT, **request.GET.dict()}
    form = TemplateForm(data, auto_id="template-%s")
    if not form.is_valid():
        return render(request, "uploads/new.html", {"form": UploadForm(), "template_form": form}, status=400)
    return _attachment(
        upload_template_file(file_format=form.cleaned_data["format"], variant=form.cleaned_data["variant"])
    )


@login_required
@require_GET
def upload_detail(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """One upload: its progress, then what the check found and the buttons to save or cancel it."""
    return _detail(request, _upload_or_404(request, uuid))


@login_required
@require_GET
def upload_status(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """The progress block alone, which the page asks for again while a worker is on the upload; once its state
    is no longer the one the page shows (``?shown=``), the whole page is reloaded (the preview or the result)."""
    upload = _upload_or_404(request, uuid)
    if request.GET.get("shown") not in (None, upload.state) and getattr(request, "htmx", False):
        return HttpResponseClientRefresh()
    return render(request, "uploads/_progress.html", _progress_context(upload, opened=page_opened(request)))


@login_required
@require_GET
def upload_marked(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponseBase:
    """The uploaded file as a workbook with each faulty cell coloured and commented, and an "Errors" sheet."""
    upload = _upload_or_404(request, uuid)
    try:
        download = upload_marked_download(upload=upload, actor=request_actor(request))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("uploads:detail", uuid=upload.uuid)
    return _attachment(download)


@login_required
@require_POST
def upload_commit(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Save the checked reports, as drafts or submitted for review: a worker writes them all in one transaction."""
    upload = _upload_or_404(request, uuid)
    form = CommitForm(request.POST)
    if not form.is_valid():
        return _detail(request, upload, commit_form=form, status=400)
    try:
        services.upload_commit(upload=upload, actor=request_actor(request), submit=form.submit)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("uploads:detail", uuid=upload.uuid)
    messages.success(request, gettext("The reports are being saved."))
    return redirect("uploads:detail", uuid=upload.uuid)


@login_required
@require_POST
def upload_cancel(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Cancel an upload before its commit: nothing of it is saved."""
    upload = _upload_or_404(request, uuid)
    try:
        services.upload_cancel(upload=upload, actor=request_actor(request))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The upload is cancelled: nothing of it was saved."))
    return redirect("uploads:detail", uuid=upload.uuid)


@login_required
@require_POST
def upload_restart(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Check a failed upload again from its stored file."""
    upload = _upload_or_404(request, uuid)
    try:
        services.upload_restart(upload=upload, actor=request_actor(request))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The file is being checked again."))
    return redirect("uploads:detail", uuid=upload.uuid)
