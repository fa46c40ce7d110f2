"""The entry form (create, edit, correct) and its htmx fragments (rows, options, normalised quantity)."""

from __future__ import annotations

import uuid as uuid_module
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django_countries import countries

from apps.autosave.selectors import form_draft_get, form_drafts_pending
from apps.autosave.services import clean_payload, form_draft_discard, form_draft_save, form_draft_save_from_ticket
from apps.autosave.tokens import Ticket, ticket_read, ticket_sign
from apps.core.actor import Actor
from apps.core.exceptions import ApplicationError, NotFound
from apps.core.request_actor import request_actor
from apps.reference.models import BASE_UNIT_OF_FAMILY, HSCode
from apps.reference.selectors import in_reading_order

from .. import services
from ..choices import FormVariant
from ..forms import (
    FORMSETS,
    PART_FORMS,
    PARTS,
    ReportEntry,
    build_row,
    commodity_types_of,
    initial_from_report,
    payload_as_querydict,
)
from ..models import Report
from ..selectors import parties_for, report_get
from ..validation import Errors, clean_item
from .base import FORM_NAME, OPTION_LIMIT, PLAIN_TEXT, View, domain_errors, last_value, report_or_404


def login_required_keeping_form(view: View) -> View:
    """Like ``login_required``, but a form posted after the session expired is kept for its user first.

    The form's signed ticket names the user; what was posted is stored as their form draft, and after
    signing in they come back to the form with it restored.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.method == "POST":
            ticket = ticket_read(request.POST.get("draft_token", ""))
            if ticket is not None:
                try:
                    draft = form_draft_save_from_ticket(ticket=ticket, payload=clean_payload(request.POST))
                except ApplicationError:
                    draft = None
                if draft is not None:
                    messages.warning(
                        request,
                        gettext(
                            "Your session had expired. What you typed is kept: "
                            "sign in again to continue where you were."
                        ),
                    )
                    return redirect_to_login(f"{request.path}?restore={draft.key}")
        return redirect_to_login(request.get_full_path())

    return wrapper


def entry_ticket(request: HttpRequest, report: Report | None, key: uuid_module.UUID | None = None) -> Ticket:
    return Ticket(
        user_id=cast(int, request.user.pk),
        form=FORM_NAME,
        report_id=report.pk if report is not None else None,
        key=key or uuid_module.uuid4(),
    )


def _posted_ticket(request: HttpRequest, report: Report | None) -> Ticket:
    """The page's ticket if it is this user's for this report, else a fresh one."""
    ticket = ticket_read(request.POST.get("draft_token", ""))
    report_id = report.pk if report is not None else None
    if ticket is None or ticket.user_id != request.user.pk or ticket.report_id != report_id:
        return entry_ticket(request, report)
    return ticket


def _apply_form_action(data: QueryDict, action: str) -> QueryDict:
    """Add a row, or mark one removed or kept, in the posted data (the no-JavaScript path of those buttons)."""
    data = data.copy()
    verb, _, target = action.partition(":")
    if verb == "add" and target in PARTS:
        key = f"{target}-TOTAL_FORMS"
        try:
            data[key] = str(int(data.get(key, "0")) + 1)
        except ValueError:
            data[key] = "1"
    elif verb in ("remove", "undo") and target.split("-", 1)[0] in PARTS:
        if verb == "remove":
            data[f"{target}-DELETE"] = "on"
        else:
            data.pop(f"{target}-DELETE", None)
    return data


def personal_allowed(request: HttpRequest, report: Report | None) -> bool:
    if report is None:
        return request.user.has_perm("reports.view_personal_data_report")
    return bool(getattr(report, "can_view_personal_data", False))


def render_entry(
    request: HttpRequest,
    entry: ReportEntry,
    *,
    report: Report | None,
    ticket: Ticket,
    show_errors: bool,
    status: int = 200,
    restored_from: Any = None,
) -> HttpResponse:
    mode = entry.mode
    if report is None:
        action_url = reverse("reports:create")
        autosave_url = reverse("reports:autosave")
    else:
        action_url = reverse("reports:correct" if mode == "correct" else "reports:edit", kwargs={"uuid": report.uuid})
        autosave_url = reverse("reports:autosave_report", kwargs={"uuid": report.uuid})
    pending = form_drafts_pending(
        user=request_actor(request), form=FORM_NAME, report_id=report.pk if report is not None else None
    ).exclude(key=ticket.key)[:3]
    summary = entry.error_summary() if show_errors else []
    return render(
        request,
        "reports/form.html",
        {
            "entry": entry,
            "report": report,
            "mode": mode,
            "action_url": action_url,
            "autosave_url": autosave_url,
            "draft_token": ticket_sign(ticket),
            "error_summary": summary,
            "show_errors": show_errors,
            "pending_drafts": pending,
            "restored_from": restored_from,
            "other_variant": FormVariant.FULL if entry.is_simplified else FormVariant.SIMPLIFIED,
            "can_submit": mode != "correct",
        },
        status=status,
    )


def _entry_page(request: HttpRequest, *, report: Report | None, mode: str) -> HttpResponse:
    """GET: the form (fresh, or restored from a kept draft). POST: save a draft, submit or correct."""
    user = request_actor(request)
    personal = personal_allowed(request, report)
    parties = parties_for(user=user, report=report) if report is not None and personal else []
    initial = initial_from_report(report, parties) if report is not None else {}
    if request.method != "POST":
        variant = request.GET.get("variant") if report is None else None
        draft = form_draft_get(user=user, key=request.GET.get("restore", ""))
        if draft is not None and draft.form == FORM_NAME and draft.report_id == (report.pk if report else None):
            entry = ReportEntry(
                data=payload_as_querydict(draft.payload), initial=initial, personal=personal, mode=mode, user=user
            )
            return render_entry(
                request,
                entry,
                report=report,
                ticket=entry_ticket(request, report, draft.key),
                show_errors=False,
                restored_from=draft.updated_at,
            )
        entry = ReportEntry(initial=initial, variant=variant, personal=personal, mode=mode, user=user)
        return render_entry(request, entry, report=report, ticket=entry_ticket(request, report), show_errors=False)

    ticket = _posted_ticket(request, report)
    action = request.POST.get("action", "draft")
    data = _apply_form_action(request.POST, action)
    # Whatever happens next, what was typed is kept on the server first.
    try:
        form_draft_save(
            user=user, key=ticket.key, form=FORM_NAME, report_id=ticket.report_id, payload=clean_payload(data)
        )
    except ApplicationError as error:
        messages.warning(request, _("%(message)s It is not kept on the server.") % {"message": error.message})
    entry = ReportEntry(data=data, initial=initial, personal=personal, mode=mode, user=user)
    if action.startswith(("switch:", "add:", "remove:", "undo:")):
        return render_entry(request, entry, report=report, ticket=ticket, show_errors=False)
    if not entry.is_valid():
        messages.error(
            request, gettext("Some values could not be read. Nothing was saved yet; what you typed is kept.")
        )
        return render_entry(request, entry, report=report, ticket=ticket, show_errors=True, status=400)
    values = entry.service_input()
    try:
        if mode == "create":
            saved = services.report_create_draft(actor=user, **values)
        elif mode == "edit" and report is not None:
            saved = services.report_update_draft(report=report, actor=user, **values)
        elif report is not None:
            saved = services.report_correct(
                report=report,
                actor=user,
                reason=entry.reason,
                free_text_checked=entry.free_text_checked,
                **values,
            )
        else:
            raise Http404("No such report.")
    except ValidationError as error:
        entry.add_service_errors(error)
        messages.error(
            request,
            gettext(
                "Nothing was saved yet: correct the fields listed below (even a draft needs its reference, date and "
                "country of seizure, and each item its category, quantity and unit). What you typed is kept on the "
                "server and offered back if you leave this page."
            ),
        )
        return render_entry(request, entry, report=report, ticket=ticket, show_errors=True, status=400)
    form_draft_discard(user=user, key=ticket.key, form=FORM_NAME, report_id=ticket.report_id)

    if mode == "correct":
        messages.success(
            request,
            gettext("Report %(reference)s corrected: version %(version)s approved.")
            % {"reference": saved.national_reference, "version": saved.version},
        )
        return redirect("reports:detail", uuid=saved.uuid)
    if action != "submit":
        messages.success(
            request,
            gettext("Draft %(reference)s saved at %(time)s.")
            % {"reference": saved.national_reference, "time": f"{timezone.localtime():%H:%M}"},
        )
        return redirect("reports:edit", uuid=saved.uuid)
    try:
        services.report_send_for_review(report=saved, actor=user)
    except ValidationError as error:
        # Saved as a draft; show what submission still needs beside the fields, on the saved report's form.
        saved = report_or_404(request, saved.uuid, action="change", personal=personal)
        entry = ReportEntry(data=data, initial=initial, personal=personal, mode="edit", user=user)
        entry.is_valid()
        entry.service_input()
        entry.add_service_errors(error)
        messages.warning(
            request,
            gettext("Draft %(reference)s saved, but not submitted: complete the fields listed below.")
            % {"reference": saved.national_reference},
        )
        return render_entry(
            request, entry, report=saved, ticket=entry_ticket(request, saved), show_errors=True, status=400
        )
    messages.success(
        request, gettext("Report %(reference)s submitted for review.") % {"reference": saved.national_reference}
    )
    return redirect("reports:detail", uuid=saved.uuid)


@login_required_keeping_form
@permission_required("reports.add_report", raise_exception=True)
@domain_errors
def report_create(request: HttpRequest) -> HttpResponse:
    """A new report of the user's administration (the administration is never taken from the form)."""
    if not request.user.administration_id:  # type: ignore[union-attr]
        raise DjangoPermissionDenied(gettext("Only the staff of an administration enter reports."))
    return _entry_page(request, report=None, mode="create")


@login_required_keeping_form
@domain_errors
def report_edit(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Edit a draft or returned report."""
    try:
        # with the personal fields (when the user may see them), or saving would blank them
        report = report_get(user=request_actor(request), uuid=uuid, action="change", with_personal_data=True)
    except NotFound:
        visible = report_or_404(request, uuid)  # 404 unless the user may see it at all
        messages.info(
            request,
            gettext(
                "Report %(reference)s is “%(state)s”: only a draft or a report returned for correction can be edited."
            )
            % {"reference": visible.national_reference, "state": visible.get_status_display()},
        )
        return redirect("reports:detail", uuid=uuid)
    return _entry_page(request, report=report, mode="edit")


@login_required_keeping_form
@domain_errors
def report_correct_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Correct an approved report: the change becomes a new approved version."""
    try:
        report = report_get(user=request_actor(request), uuid=uuid, action="correct", with_personal_data=True)
    except NotFound:
        visible = report_or_404(request, uuid)
        messages.info(
            request,
            gettext("Report %(reference)s cannot be corrected by you now.") % {"reference": visible.national_reference},
        )
        return redirect("reports:detail", uuid=uuid)
    return _entry_page(request, report=report, mode="correct")


# --- htmx fragments of the entry form -----------------------------------------------------------------


def _can_enter(user: Actor) -> bool:
    return bool(user.has_perm("reports.add_report") or user.has_perm("reports.change_report"))


@login_required
def form_row(request: HttpRequest, part: str) -> HttpResponse:
    """GET: a new empty row of a part (and the formset's new total). POST: one row shown removed, or kept."""
    if part not in PARTS or not _can_enter(request_actor(request)):
        raise Http404("No such part.")
    if part == "parties" and not request.user.has_perm("reports.view_personal_data_report"):
        raise Http404("No such part.")
    personal = request.user.has_perm("reports.view_personal_data_report")
    source = request.POST if request.method == "POST" else request.GET
    requested = str(source.get("form_variant") or "")
    variant = requested if requested in FormVariant.values else str(FormVariant.FULL)
    formset = FORMSETS[part](prefix=part)
    if request.method == "POST":
        try:
            index = int(source.get("index", ""))
        except ValueError:
            return HttpResponseBadRequest(gettext("Which row?"), content_type=PLAIN_TEXT)
        removed = source.get("remove") == "1"
        data = source.copy()
        if removed:
            data[f"{part}-{index}-DELETE"] = "on"
        else:
            data.pop(f"{part}-{index}-DELETE", None)
        form = PART_FORMS[part](data, prefix=formset.add_prefix(index), auto_id=formset.auto_id, personal=personal)
        number = int(source.get("number", index + 1) or index + 1)
        row = build_row(part=part, form=form, index=index, number=number, variant=variant, removed=removed)
        return render(request, "reports/_row.html", {"row": row, "variant": variant, "toggled": True})
    try:
        index = max(0, int(source.get(f"{part}-TOTAL_FORMS", "0")))
    except ValueError:
        index = 0
    form = PART_FORMS[part](
        prefix=formset.add_prefix(index),
        auto_id=formset.auto_id,
        empty_permitted=True,
        use_required_attribute=False,
        personal=personal,
    )
    row = build_row(part=part, form=form, index=index, number=index + 1, variant=variant, removed=False)
    if row.fields:  # htmx focuses it after the swap: a keyboard user lands in the new row
        row.fields[0].field.field.widget.attrs["autofocus"] = True
    return render(
        request,
        "reports/_row.html",
        {"row": row, "variant": variant, "new_total": index + 1, "oob_total": True},
    )


@login_required
@require_GET
def commodity_type_options(request: HttpRequest) -> HttpResponse:
    """The <option>s of the commodity types of the chosen category."""
    category = last_value(request, key="category", suffixes=("commodity_category",))
    return render(request, "reports/_type_options.html", {"types": in_reading_order(commodity_types_of(category))})


@login_required
@require_GET
def hs_code_options(request: HttpRequest) -> HttpResponse:
    """<option>s for an HS code <datalist>: codes starting with the digits typed, or descriptions with the words."""
    text = last_value(request, key="q", suffixes=("hs_code",))
    codes = HSCode.objects.active()
    digits = text.replace(".", "").replace(" ", "")
    if not text:
        codes = codes.none()
    elif digits.isdigit():
        codes = codes.filter(code__startswith=digits)
    else:
        codes = codes.filter(Q(label__icontains=text) | Q(code__istartswith=text))
    options = [(code.code, f"{code.code} \N{EN DASH} {code.label}") for code in codes.order_by("code")[:OPTION_LIMIT]]
    return render(request, "reports/_datalist_options.html", {"options": options})


_COUNTRY_SUFFIXES = ("country", "nationality", "country_of_seizure", "country_of_manufacture")


@login_required
@require_GET
def country_options(request: HttpRequest) -> HttpResponse:
    """<option>s for a country <datalist>: ISO codes or English names matching what was typed."""
    text = last_value(request, key="q", suffixes=_COUNTRY_SUFFIXES).lower()
    options = []
    if text:
        for code, name in countries:
            if code.lower() == text or str(name).lower().startswith(text) or f" {text}" in f" {str(name).lower()}":
                options.append((code, f"{code} \N{EN DASH} {name}"))
            if len(options) >= OPTION_LIMIT:
                break
    return render(request, "reports/_datalist_options.html", {"options": options})


@login_required
@require_GET
def normalised_quantity(request: HttpRequest) -> HttpResponse:
    """The item's quantity in kg, litres, pieces or sticks, as the domain computes it (or why it cannot)."""
    prefix = request.GET.get("prefix", "")
    if not prefix.startswith("items-"):
        return HttpResponseBadRequest(gettext("Which item?"), content_type=PLAIN_TEXT)
    quantity = request.GET.get(f"{prefix}-quantity", "")
    unit_code = request.GET.get(f"{prefix}-unit", "")
    errors = Errors()
    cleaned = clean_item({"quantity": quantity, "unit": unit_code}, index=0, errors=errors)
    problems = errors.paths.get(("items", 0, "quantity"), []) + errors.paths.get(("items", 0, "unit"), [])
    if not quantity.strip() or not unit_code:
        problems = []
    unit = cleaned.get("unit")
    dimension = cleaned.get("normalised_dimension")
    base = BASE_UNIT_OF_FAMILY.get(str(dimension or ""))
    return render(
        request,
        "reports/_normalised.html",
        {
            "prefix": prefix,
            "value": cleaned.get("normalised_quantity"),
            "base": base.name if base is not None else "",
            "unit": unit,
            "problems": [p for p in problems if "required" not in p],
            "asked": bool(quantity.strip() and unit_code),
        },
    )
