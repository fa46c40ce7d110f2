"""The workflow actions posted from the report page: submit, return, approve, withdraw, mark duplicate."""

from __future__ import annotations

import uuid as uuid_module

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from apps.core.exceptions import NotFound
from apps.core.forms import show_errors
from apps.core.request_actor import request_actor

from .. import services
from ..forms import (
    ApproveForm,
    DuplicateForm,
    ReportEntry,
    ReturnForm,
    WithdrawForm,
    entry_as_data,
    initial_from_report,
)
from ..selectors import parties_for, report_get
from .base import domain_errors, report_or_404
from .detail import after_review, rerender_detail
from .entry import entry_ticket, personal_allowed, render_entry


@login_required
@require_POST
@domain_errors
def report_submit_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Send a draft (or a returned report) for review; what is missing is shown on the form."""
    report = report_or_404(request, uuid)
    try:
        services.report_send_for_review(report=report, actor=request_actor(request))
    except ValidationError as error:
        editable = report_or_404(request, uuid, action="change", personal=True)
        personal = personal_allowed(request, editable)
        parties = parties_for(user=request_actor(request), report=editable) if personal else []
        stored = ReportEntry(initial=initial_from_report(editable, parties), personal=personal, mode="edit")
        entry = ReportEntry(
            data=entry_as_data(stored), initial=initial_from_report(editable, parties), personal=personal, mode="edit"
        )
        entry.is_valid()
        entry.service_input()
        entry.add_service_errors(error)
        messages.warning(request, gettext("The report cannot be submitted yet: complete the fields listed below."))
        return render_entry(
            request, entry, report=editable, ticket=entry_ticket(request, editable), show_errors=True, status=400
        )
    messages.success(
        request, gettext("Report %(reference)s submitted for review.") % {"reference": report.national_reference}
    )
    return redirect("reports:detail", uuid=uuid)


@login_required
@require_POST
@domain_errors
def report_return_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Return a submitted report for correction; the comment is required."""
    report = report_or_404(request, uuid)
    form = ReturnForm(request.POST)
    form.is_valid()
    try:
        services.report_return(
            report=report, actor=request_actor(request), comment=form.cleaned_data.get("comment", "")
        )
    except ValidationError as error:
        show_errors(form, error)
        return rerender_detail(request, report, return_form=form)
    messages.success(
        request, gettext("Report %(reference)s returned for correction.") % {"reference": report.national_reference}
    )
    return after_review(request, report)


@login_required
@require_POST
@domain_errors
def report_approve_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Approve a submitted report (of two reviewers at once, one wins; the other is told)."""
    report = report_or_404(request, uuid)
    form = ApproveForm(request.POST)
    form.is_valid()
    services.report_approve(
        report=report,
        actor=request_actor(request),
        comment=form.cleaned_data.get("comment", ""),
        free_text_checked=bool(form.cleaned_data.get("free_text_checked")),
    )
    messages.success(request, gettext("Report %(reference)s approved.") % {"reference": report.national_reference})
    return after_review(request, report)


@login_required
@require_POST
@domain_errors
def report_withdraw_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Withdraw an approved report; the reason is required."""
    report = report_or_404(request, uuid)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        services.report_withdraw(
            report=report, actor=request_actor(request), reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as error:
        show_errors(form, error)
        return rerender_detail(request, report, withdraw_form=form)
    messages.success(request, gettext("Report %(reference)s withdrawn.") % {"reference": report.national_reference})
    return redirect("reports:detail", uuid=uuid)


@login_required
@require_POST
@domain_errors
def report_mark_duplicate_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Mark the report as a duplicate of another report the user can see (by its UUID)."""
    report = report_or_404(request, uuid)
    form = DuplicateForm(request.POST)
    if not form.is_valid():
        return rerender_detail(request, report, duplicate_form=form)
    try:
        original = report_get(user=request_actor(request), uuid=form.cleaned_data["of"])
    except NotFound:
        form.add_error("of", gettext("No report with this UUID that you can see."))
        return rerender_detail(request, report, duplicate_form=form)
    try:
        services.report_mark_duplicate(
            report=report, of=original, actor=request_actor(request), comment=form.cleaned_data.get("comment", "")
        )
    except ValidationError as error:
        show_errors(form, error)
        return rerender_detail(request, report, duplicate_form=form)
    messages.success(
        request,
        gettext("Report %(reference)s marked as a duplicate of %(original)s.")
        % {"reference": report.national_reference, "original": original.national_reference},
    )
    return redirect("reports:detail", uuid=uuid)
