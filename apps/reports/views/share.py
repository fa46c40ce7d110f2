"""Web actions on the exceptions to a report's scope: sharing it with another administration for a
joint operation, ending a share, and assigning a reviewer.

Each action is a POST from the report page. The report is looked up by UUID for the action itself
(``restrict(user, "share" | "assign")`` through :func:`report_get`), so a report the user may not
share or assign is a 404 whatever else is posted. The administration or analyst posted must be one
the page offered (the same selectors give the choices). The services decide; their refusals come back
as messages, and invalid input is shown beside its field with everything typed kept.
"""

from __future__ import annotations

import uuid as uuid_module

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.core.exceptions import ApplicationError, NotFound
from apps.core.forms import show_errors
from apps.core.request_actor import request_actor

from .. import services
from ..forms import AssignReviewerForm, ShareForm
from ..models import Report
from ..selectors import report_reviewer_candidates, report_share_targets, report_shares
from .base import report_or_404
from .detail import detail_context


def _back(report: Report, anchor: str) -> HttpResponse:
    return redirect(reverse("reports:detail", kwargs={"uuid": report.uuid}) + f"#{anchor}")


def _show_errors(request: HttpRequest, report: Report, **forms: object) -> HttpResponse:
    """The report page again, with the form that failed bound to what was typed."""
    shown = report_or_404(request, report.uuid, personal=True)
    return render(request, "reports/detail.html", detail_context(request, shown, **forms), status=400)


@login_required
@require_POST
def report_share_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponseBase:
    """Share the report read-only with another administration, with or without its personal data."""
    report = report_or_404(request, uuid, action="share")
    form = ShareForm(request.POST, administrations=report_share_targets(user=request_actor(request), report=report))
    if not form.is_valid():
        return _show_errors(request, report, share_form=form)
    administration = form.cleaned_data["administration"]
    personal = form.cleaned_data["include_personal_data"]
    try:
        services.report_share_with_administration(
            report=report,
            administration=administration,
            actor=request_actor(request),
            include_personal_data=personal,
            comment=form.cleaned_data["comment"],
            expires_at=form.cleaned_data["expires_at"],
        )
    except ValidationError as error:
        show_errors(form, error)
        return _show_errors(request, report, share_form=form)
    except NotFound as error:
        raise Http404(error.message) from error
    except ApplicationError as error:
        messages.error(request, error.message)
        return _back(report, "sharing")
    sentence = (
        gettext("Report %(reference)s shared read-only with %(administration)s, with personal data.")
        if personal
        else gettext("Report %(reference)s shared read-only with %(administration)s, without personal data.")
    )
    text = sentence % {"reference": report.national_reference, "administration": administration.name}
    if expires_at := form.cleaned_data["expires_at"]:
        ends = date_format(timezone.localtime(expires_at), "SHORT_DATETIME_FORMAT")
        text += " " + gettext("The share ends on %(ends)s.") % {"ends": ends}
    messages.success(request, text)
    return _back(report, "sharing")


@login_required
@require_POST
def report_unshare_view(request: HttpRequest, uuid: uuid_module.UUID, administration_id: int) -> HttpResponseBase:
    """End the share of the report with one administration (only one it is shared with)."""
    report = report_or_404(request, uuid, action="share")
    try:
        shares = report_shares(user=request_actor(request), report=report)
        share = next((s for s in shares if s.administration.pk == administration_id), None)
        if share is None:
            raise NotFound(_("This report is not shared with that administration."))
        services.report_unshare_with_administration(
            report=report, administration=share.administration, actor=request_actor(request)
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except ApplicationError as error:
        messages.error(request, error.message)
        return _back(report, "sharing")
    messages.success(
        request,
        _("Report %(national_reference)s is no longer shared with %(name)s.")
        % {"national_reference": report.national_reference, "name": share.administration.name},
    )
    return _back(report, "sharing")


@login_required
@require_POST
def report_assign_reviewer_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponseBase:
    """Assign a RILO analyst (possibly of another region) to review this one submitted report."""
    report = report_or_404(request, uuid, action="assign")
    form = AssignReviewerForm(
        request.POST, reviewers=report_reviewer_candidates(user=request_actor(request), report=report)
    )
    if not form.is_valid():
        return _show_errors(request, report, reviewer_form=form)
    reviewer = form.cleaned_data["reviewer"]
    try:
        services.report_assign_reviewer(report=report, reviewer=reviewer, actor=request_actor(request))
    except ValidationError as error:
        show_errors(form, error)
        return _show_errors(request, report, reviewer_form=form)
    except NotFound as error:
        raise Http404(error.message) from error
    except ApplicationError as error:
        messages.error(request, error.message)
        return _back(report, "reviewer")
    name = reviewer.get_full_name() or reviewer.username
    messages.success(
        request,
        _("%(name)s may now review report %(national_reference)s.")
        % {"name": name, "national_reference": report.national_reference},
    )
    return _back(report, "reviewer")
