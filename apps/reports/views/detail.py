"""The report page and its change history."""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from apps.core.exceptions import NotFound
from apps.core.request_actor import request_actor

from ..change_history import report_change_history
from ..forms import ApproveForm, AttachmentForm, DuplicateForm, ReturnForm, WithdrawForm, sharing_sections
from ..models import Report
from ..selectors import (
    attachments_for,
    duplicate_candidates_for,
    parties_for,
    report_allowed_actions,
    review_events_for,
)
from .base import is_htmx, report_or_404


def detail_context(request: HttpRequest, report: Report, **forms: Any) -> dict[str, Any]:
    user = request_actor(request)
    allowed = report_allowed_actions(user=user, report=report)
    return {
        "report": report,
        "allowed": allowed,
        "personal": bool(getattr(report, "can_view_personal_data", False)),
        "parties": parties_for(user=user, report=report),
        "attachments": attachments_for(user=user, report=report),
        "events": review_events_for(user=user, report=report),
        # Listed (and a conveyance's read audited) only where the page shows them: the form to mark a duplicate.
        "candidates": (
            duplicate_candidates_for(user=user, report=report)
            if "mark_duplicate" in allowed and not report.is_duplicate
            else []
        ),
        "return_form": forms.get("return_form") or ReturnForm(),
        "approve_form": forms.get("approve_form") or ApproveForm(),
        "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
        "duplicate_form": forms.get("duplicate_form") or DuplicateForm(),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "submit_errors": forms.get("submit_errors") or [],
        "can_edit": "change" in allowed,
        "can_submit": "submit" in allowed,
        # The note that HS descriptions stay English is shown once, above the items, when one has a code.
        "hs_codes_shown": any(item.hs_code_id for item in report.items.all()),
        **sharing_sections(user=user, report=report, allowed=allowed, forms=forms),
    }


@login_required
@require_GET
def report_detail(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """All of one report the user may see; personal data through the gated, audited selectors."""
    report = report_or_404(request, uuid, personal=True)
    return render(request, "reports/detail.html", detail_context(request, report))


@login_required
@require_GET
def report_history(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """The change history as readable differences (a fragment for htmx, else a page)."""
    report = report_or_404(request, uuid)
    try:
        entries = report_change_history(user=request_actor(request), report=report)
    except NotFound as error:
        raise Http404(error.message) from error
    template = "reports/_history.html" if is_htmx(request) else "reports/history.html"
    return render(request, template, {"report": report, "history": entries})


def after_review(request: HttpRequest, report: Report) -> HttpResponse:
    """Back to the report, or to the review queue for an assigned reviewer whose rights ended with the review."""
    if Report.objects.allows(request.user, "view", report.pk):
        return redirect("reports:detail", uuid=report.uuid)
    return redirect("reports:review_queue")


def rerender_detail(request: HttpRequest, report: Report, **forms: Any) -> HttpResponse:
    report = report_or_404(request, report.uuid, personal=True)
    return render(request, "reports/detail.html", detail_context(request, report, **forms), status=400)
