"""Attaching a file to a report, and downloading one."""

from __future__ import annotations

import uuid as uuid_module

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from apps.core.exceptions import NotFound
from apps.core.forms import show_errors
from apps.core.request_actor import request_actor

from .. import services
from ..forms import AttachmentForm
from ..selectors import attachment_get
from .base import domain_errors, report_or_404
from .detail import rerender_detail


@login_required
@require_POST
@domain_errors
def attachment_add(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Attach a file (type sniffed, size limited by the domain)."""
    report = report_or_404(request, uuid)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return rerender_detail(request, report, attachment_form=form)
    upload = form.cleaned_data["file"]
    try:
        services.report_attachment_add(
            report=report,
            actor=request_actor(request),
            content=upload,
            original_name=upload.name,
            contains_personal_data=form.cleaned_data["contains_personal_data"],
            shareable=form.cleaned_data["shareable"],
            description=form.cleaned_data.get("description", ""),
        )
    except ValidationError as error:
        show_errors(form, error)
        return rerender_detail(request, report, attachment_form=form)
    messages.success(request, gettext("File attached."))
    return redirect(reverse("reports:detail", kwargs={"uuid": uuid}) + "#attachments")


@login_required
@require_GET
def attachment_download(request: HttpRequest, uuid: uuid_module.UUID, pk: int) -> HttpResponseBase:
    """Stream one attachment as a download, once the report and the attachment are found to be visible."""
    report = report_or_404(request, uuid)
    try:
        attachment = attachment_get(user=request_actor(request), report=report, pk=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    if getattr(report, "can_view_personal_data", False):
        filename = attachment.original_name
    else:
        # The original name may itself be personal: those without the right get a neutral one.
        extension = {"image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif", "application/pdf": ".pdf"}
        filename = f"attachment-{attachment.pk}{extension.get(attachment.content_type, '')}"
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=filename)
    response["Content-Type"] = attachment.content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
