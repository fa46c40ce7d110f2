"""Web views of the server-side copies of forms being typed: keep (autosave, htmx) and discard.

The copy of a report's form is kept only for a report the user may edit or correct (else 404);
after the session expired, the form's signed ticket still lets what was typed be kept for its user.
"""

from __future__ import annotations

import uuid as uuid_module
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from apps.core.exceptions import ApplicationError, NotFound
from apps.core.request_actor import request_actor
from apps.reports.models import Report
from apps.reports.selectors import report_get

from .selectors import form_draft_get
from .services import clean_payload, form_draft_discard, form_draft_save, form_draft_save_from_ticket
from .tokens import ticket_read

PLAIN_TEXT = "text/plain; charset=utf-8"  # refusals of htmx requests: words, never markup


@require_POST
def autosave(request: HttpRequest, uuid: uuid_module.UUID | None = None) -> HttpResponse:
    """Keep the form as typed so far (htmx, on change). After the session expired the signed ticket still works."""
    report_id = None
    if request.user.is_authenticated and uuid is not None:
        report_id = _editable(request, uuid).pk  # another administration's report is a 404, ticket or not
    ticket = ticket_read(request.POST.get("draft_token", ""))
    if ticket is None:
        return HttpResponseBadRequest(gettext("This form has expired: reload the page."), content_type=PLAIN_TEXT)
    try:
        payload = clean_payload(request.POST)
    except ApplicationError as error:
        return render(request, "reports/_autosave_status.html", {"error": error.message}, status=400)
    if not request.user.is_authenticated:
        draft = form_draft_save_from_ticket(ticket=ticket, payload=payload)
        if draft is None:
            return HttpResponseBadRequest(gettext("This form has expired: reload the page."), content_type=PLAIN_TEXT)
        login_url = reverse("accounts:login") + "?" + urlencode({"next": _form_url(uuid, draft.key)})
        return render(
            request, "reports/_autosave_status.html", {"expired": True, "draft": draft, "login_url": login_url}
        )
    if ticket.user_id != request.user.pk or ticket.report_id != report_id:
        return HttpResponseBadRequest(
            gettext("This form belongs to another page or session: reload the page."), content_type=PLAIN_TEXT
        )
    try:
        draft = form_draft_save(
            user=request_actor(request), key=ticket.key, form=ticket.form, report_id=report_id, payload=payload
        )
    except NotFound as error:
        raise Http404(error.message) from error
    return render(request, "reports/_autosave_status.html", {"draft": draft})


def _form_url(uuid: uuid_module.UUID | None, key: uuid_module.UUID) -> str:
    base = reverse("reports:create") if uuid is None else reverse("reports:edit", kwargs={"uuid": uuid})
    return f"{base}?restore={key}"


def _editable(request: HttpRequest, uuid: uuid_module.UUID) -> Report:
    """A report the user may edit or correct, else 404."""
    for action in ("change", "correct"):
        try:
            return report_get(user=request_actor(request), uuid=uuid, action=action)
        except NotFound:
            continue
    raise Http404("Report not found.")


@login_required
@require_POST
def form_draft_discard_view(request: HttpRequest, key: uuid_module.UUID) -> HttpResponse:
    """Forget one kept form of the user."""
    draft = form_draft_get(user=request_actor(request), key=key)
    if draft is None:
        raise Http404("No such form.")
    form_draft_discard(user=request_actor(request), key=key)
    messages.info(request, gettext("The unsaved form was discarded."))
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect("reports:list")
