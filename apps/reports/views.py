"""Web pages of seizure and offence reports: lists, the entry form, the report page and its workflow.

Every report is looked up through the domain selectors (``restrict()`` underneath): a report outside
the user's reach is a 404. Views parse input, call the domain, and render; the rules live in
``apps.reports.services`` / ``selectors`` / ``validation``.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_countries import countries

from apps.autosave.selectors import form_draft_get, form_drafts_pending
from apps.autosave.services import clean_payload, form_draft_discard, form_draft_save, form_draft_save_from_ticket
from apps.autosave.tokens import Ticket, ticket_read, ticket_sign
from apps.core.exceptions import ApplicationError, Conflict, NotFound
from apps.core.exceptions import PermissionDenied as DomainPermissionDenied
from apps.reference.models import HSCode, Unit

from . import services
from .change_history import report_change_history
from .choices import FormVariant, ReportStatus
from .exports import report_csv_lines
from .filtersets import ReportFilterSet
from .forms import (
    FORMSETS,
    PART_FORMS,
    PARTS,
    ApproveForm,
    AttachmentForm,
    DuplicateForm,
    ReportEntry,
    ReturnForm,
    WithdrawForm,
    build_row,
    commodity_types_of,
    entry_as_data,
    initial_from_report,
    payload_as_querydict,
    sharing_sections,
)
from .models import Report
from .selectors import (
    attachment_get,
    attachments_for,
    duplicate_candidates_for,
    parties_for,
    report_allowed_actions,
    report_get,
    report_list,
    review_events_for,
    review_queue,
)
from .validation import Errors, clean_item

FORM_NAME = "reports.report"
PAGE_SIZE = 25
OPTION_LIMIT = 20
PLAIN_TEXT = "text/plain; charset=utf-8"  # refusals of htmx requests: words, never markup

View = Callable[..., HttpResponseBase]


# --- helpers -----------------------------------------------------------------------------------------


def _report(request: HttpRequest, uuid: uuid_module.UUID, action: str = "view", personal: bool = False) -> Report:
    """The report if the user may take ``action`` on it; anything else is a 404."""
    try:
        return report_get(user=request.user, uuid=uuid, action=action, with_personal_data=personal)
    except NotFound as error:
        raise Http404(error.message) from error


def _domain_errors(view: View) -> View:
    """Render the domain's refusals: unknown → 404, not allowed → 403, wrong state → back to the report."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from error
        except DomainPermissionDenied as error:
            raise DjangoPermissionDenied(error.message) from error
        except Conflict as error:
            messages.error(request, error.message)
            if "uuid" in kwargs:
                return redirect("reports:detail", uuid=kwargs["uuid"])
            return redirect("reports:list")

    return wrapper


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _last_value(request: HttpRequest, *, key: str, suffixes: tuple[str, ...]) -> str:
    """The searched text: ``key`` or the field the htmx request came from (named ``items-0-hs_code``…)."""
    if request.GET.get(key):
        return str(request.GET.get(key, "")).strip()
    for name, value in request.GET.items():
        if name.endswith(suffixes):
            return str(value).strip()
    return ""


# --- lists -------------------------------------------------------------------------------------------


def _filterset(request: HttpRequest, reports: Any, *, queue: bool) -> ReportFilterSet:
    """The list's filters; the review queue has no state or ordering of its own to choose."""
    filterset = ReportFilterSet(request.GET or None, queryset=reports, request=request)
    if queue:
        for name in ("status", "ordering"):
            filterset.filters.pop(name, None)
            filterset.form.fields.pop(name, None)
    return filterset


def _list_page(request: HttpRequest, reports: Any, *, queue: bool, export_refused: bool = False) -> HttpResponse:
    filterset = _filterset(request, reports, queue=queue)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else reports
    if filterset.is_bound and not filterset.is_valid():
        rows = reports.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    pending = form_drafts_pending(user=request.user, form=FORM_NAME, report_id=None)[:5] if not queue else []
    return render(
        request,
        "reports/list.html",
        {
            "queue": queue,
            "filterset": filterset,
            "filters_applied": any(value and name in filterset.filters for name, value in request.GET.items()),
            "page": page,
            "query": query.urlencode(),
            "export_url": reverse("reports:review_queue_export" if queue else "reports:export"),
            "pending_drafts": pending,
            "show_administration": request.user.is_rilo_staff,  # type: ignore[union-attr]
            "can_add": request.user.has_perm("reports.add_report"),
            "can_export": request.user.has_perm("reports.export_report"),
            "export_refused": export_refused,
        },
        status=400 if export_refused else 200,
    )


@login_required
@permission_required("reports.view_report", raise_exception=True)
@require_GET
def report_list_view(request: HttpRequest) -> HttpResponse:
    """The reports the user may see: an administration's own, or a region's submitted ones for RILO staff."""
    return _list_page(request, report_list(user=request.user), queue=False)


@login_required
@permission_required("reports.review_report", raise_exception=True)
@require_GET
def review_queue_view(request: HttpRequest) -> HttpResponse:
    """Submitted reports of the analyst's region waiting for review, oldest first."""
    return _list_page(request, review_queue(user=request.user), queue=True)


def _export(request: HttpRequest, reports: Any, filename: str, *, queue: bool) -> HttpResponseBase:
    filterset = _filterset(request, reports, queue=queue)
    if filterset.is_bound and not filterset.is_valid():
        # The list page again, with the filters' errors (escaped by the template): never the input as markup.
        return _list_page(request, reports, queue=queue, export_refused=True)
    rows = filterset.qs if filterset.is_bound else reports
    used = [name for name, value in request.GET.items() if value and name in filterset.filters]
    response = StreamingHttpResponse(
        report_csv_lines(user=request.user, reports=rows, filters=used), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}-{timezone.localdate().isoformat()}.csv"'
    return response


@login_required
@permission_required("reports.export_report", raise_exception=True)
@require_GET
def report_export(request: HttpRequest) -> HttpResponseBase:
    """The report list as CSV, with the list's filters."""
    return _export(request, report_list(user=request.user), "reports", queue=False)


@login_required
@permission_required("reports.export_report", raise_exception=True)
@permission_required("reports.review_report", raise_exception=True)
@require_GET
def review_queue_export(request: HttpRequest) -> HttpResponseBase:
    """The review queue as CSV, with the queue's filters."""
    return _export(request, review_queue(user=request.user), "review-queue", queue=True)


# --- the entry form -----------------------------------------------------------------------------------


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
                        "Your session had expired. What you typed is kept: sign in again to continue where you were.",
                    )
                    return redirect_to_login(f"{request.path}?restore={draft.key}")
        return redirect_to_login(request.get_full_path())

    return wrapper


def _ticket(request: HttpRequest, report: Report | None, key: uuid_module.UUID | None = None) -> Ticket:
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
        return _ticket(request, report)
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


def _personal_allowed(request: HttpRequest, report: Report | None) -> bool:
    if report is None:
        return request.user.has_perm("reports.view_personal_data_report")
    return bool(getattr(report, "can_view_personal_data", False))


def _render_entry(
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
        user=request.user, form=FORM_NAME, report_id=report.pk if report is not None else None
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
    user = request.user
    personal = _personal_allowed(request, report)
    parties = parties_for(user=user, report=report) if report is not None and personal else []
    initial = initial_from_report(report, parties) if report is not None else {}
    if request.method != "POST":
        variant = request.GET.get("variant") if report is None else None
        draft = form_draft_get(user=user, key=request.GET.get("restore", ""))
        if draft is not None and draft.form == FORM_NAME and draft.report_id == (report.pk if report else None):
            entry = ReportEntry(
                data=payload_as_querydict(draft.payload), initial=initial, personal=personal, mode=mode, user=user
            )
            return _render_entry(
                request,
                entry,
                report=report,
                ticket=_ticket(request, report, draft.key),
                show_errors=False,
                restored_from=draft.updated_at,
            )
        entry = ReportEntry(initial=initial, variant=variant, personal=personal, mode=mode, user=user)
        return _render_entry(request, entry, report=report, ticket=_ticket(request, report), show_errors=False)

    ticket = _posted_ticket(request, report)
    action = request.POST.get("action", "draft")
    data = _apply_form_action(request.POST, action)
    # Whatever happens next, what was typed is kept on the server first.
    try:
        form_draft_save(
            user=user, key=ticket.key, form=FORM_NAME, report_id=ticket.report_id, payload=clean_payload(data)
        )
    except ApplicationError as error:
        messages.warning(request, f"{error.message} It is not kept on the server.")
    entry = ReportEntry(data=data, initial=initial, personal=personal, mode=mode, user=user)
    if action.startswith(("switch:", "add:", "remove:", "undo:")):
        return _render_entry(request, entry, report=report, ticket=ticket, show_errors=False)
    if not entry.is_valid():
        messages.error(request, "Some values could not be read. Nothing was saved yet; what you typed is kept.")
        return _render_entry(request, entry, report=report, ticket=ticket, show_errors=True, status=400)
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
            "Nothing was saved yet: correct the fields listed below (even a draft needs its reference, date and "
            "country of seizure, and each item its category, quantity and unit). What you typed is kept on the "
            "server and offered back if you leave this page.",
        )
        return _render_entry(request, entry, report=report, ticket=ticket, show_errors=True, status=400)
    form_draft_discard(user=user, key=ticket.key, form=FORM_NAME, report_id=ticket.report_id)

    if mode == "correct":
        messages.success(request, f"Report {saved.national_reference} corrected: version {saved.version} approved.")
        return redirect("reports:detail", uuid=saved.uuid)
    if action != "submit":
        messages.success(request, f"Draft {saved.national_reference} saved at {timezone.localtime():%H:%M}.")
        return redirect("reports:edit", uuid=saved.uuid)
    try:
        if saved.status == ReportStatus.RETURNED:
            services.report_resubmit(report=saved, actor=user)
        else:
            services.report_submit(report=saved, actor=user)
    except ValidationError as error:
        # Saved as a draft; show what submission still needs beside the fields, on the saved report's form.
        saved = _report(request, saved.uuid, action="change", personal=personal)
        entry = ReportEntry(data=data, initial=initial, personal=personal, mode="edit", user=user)
        entry.is_valid()
        entry.service_input()
        entry.add_service_errors(error)
        messages.warning(
            request, f"Draft {saved.national_reference} saved, but not submitted: complete the fields listed below."
        )
        return _render_entry(request, entry, report=saved, ticket=_ticket(request, saved), show_errors=True, status=400)
    messages.success(request, f"Report {saved.national_reference} submitted for review.")
    return redirect("reports:detail", uuid=saved.uuid)


@login_required_keeping_form
@permission_required("reports.add_report", raise_exception=True)
@_domain_errors
def report_create(request: HttpRequest) -> HttpResponse:
    """A new report of the user's administration (the administration is never taken from the form)."""
    if not request.user.administration_id:  # type: ignore[union-attr]
        raise DjangoPermissionDenied("Only the staff of an administration enter reports.")
    return _entry_page(request, report=None, mode="create")


@login_required_keeping_form
@_domain_errors
def report_edit(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Edit a draft or returned report."""
    try:
        # with the personal fields (when the user may see them), or saving would blank them
        report = report_get(user=request.user, uuid=uuid, action="change", with_personal_data=True)
    except NotFound:
        visible = _report(request, uuid)  # 404 unless the user may see it at all
        messages.info(
            request,
            f"Report {visible.national_reference} is {visible.get_status_display().lower()}: "
            "only drafts and returned reports can be edited.",
        )
        return redirect("reports:detail", uuid=uuid)
    return _entry_page(request, report=report, mode="edit")


@login_required_keeping_form
@_domain_errors
def report_correct_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Correct an approved report: the change becomes a new approved version."""
    try:
        report = report_get(user=request.user, uuid=uuid, action="correct", with_personal_data=True)
    except NotFound:
        visible = _report(request, uuid)
        messages.info(request, f"Report {visible.national_reference} cannot be corrected by you now.")
        return redirect("reports:detail", uuid=uuid)
    return _entry_page(request, report=report, mode="correct")


@require_POST
def autosave(request: HttpRequest, uuid: uuid_module.UUID | None = None) -> HttpResponse:
    """Keep the form as typed so far (htmx, on change). After the session expired the signed ticket still works."""
    report_id = None
    if request.user.is_authenticated and uuid is not None:
        report_id = _editable(request, uuid).pk  # another administration's report is a 404, ticket or not
    ticket = ticket_read(request.POST.get("draft_token", ""))
    if ticket is None:
        return HttpResponseBadRequest("This form has expired: reload the page.", content_type=PLAIN_TEXT)
    try:
        payload = clean_payload(request.POST)
    except ApplicationError as error:
        return render(request, "reports/_autosave_status.html", {"error": error.message}, status=400)
    if not request.user.is_authenticated:
        draft = form_draft_save_from_ticket(ticket=ticket, payload=payload)
        if draft is None:
            return HttpResponseBadRequest("This form has expired: reload the page.", content_type=PLAIN_TEXT)
        login_url = reverse("accounts:login") + "?" + urlencode({"next": _form_url(uuid, draft.key)})
        return render(
            request, "reports/_autosave_status.html", {"expired": True, "draft": draft, "login_url": login_url}
        )
    if ticket.user_id != request.user.pk or ticket.report_id != report_id:
        return HttpResponseBadRequest(
            "This form belongs to another page or session: reload the page.", content_type=PLAIN_TEXT
        )
    try:
        draft = form_draft_save(
            user=request.user, key=ticket.key, form=ticket.form, report_id=report_id, payload=payload
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
            return report_get(user=request.user, uuid=uuid, action=action)
        except NotFound:
            continue
    raise Http404("Report not found.")


@login_required
@require_POST
def form_draft_discard_view(request: HttpRequest, key: uuid_module.UUID) -> HttpResponse:
    """Forget one kept form of the user."""
    draft = form_draft_get(user=request.user, key=key)
    if draft is None:
        raise Http404("No such form.")
    form_draft_discard(user=request.user, key=key)
    messages.info(request, "The unsaved form was discarded.")
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect("reports:list")


# --- htmx fragments of the entry form -----------------------------------------------------------------


def _can_enter(user: Any) -> bool:
    return bool(user.has_perm("reports.add_report") or user.has_perm("reports.change_report"))


@login_required
def form_row(request: HttpRequest, part: str) -> HttpResponse:
    """GET: a new empty row of a part (and the formset's new total). POST: one row shown removed, or kept."""
    if part not in PARTS or not _can_enter(request.user):
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
            return HttpResponseBadRequest("Which row?", content_type=PLAIN_TEXT)
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
    category = _last_value(request, key="category", suffixes=("commodity_category",))
    return render(request, "reports/_type_options.html", {"types": commodity_types_of(category)})


@login_required
@require_GET
def hs_code_options(request: HttpRequest) -> HttpResponse:
    """<option>s for an HS code <datalist>: codes starting with the digits typed, or descriptions with the words."""
    text = _last_value(request, key="q", suffixes=("hs_code",))
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
    text = _last_value(request, key="q", suffixes=_COUNTRY_SUFFIXES).lower()
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
        return HttpResponseBadRequest("Which item?", content_type=PLAIN_TEXT)
    quantity = request.GET.get(f"{prefix}-quantity", "")
    unit_code = request.GET.get(f"{prefix}-unit", "")
    errors = Errors()
    cleaned = clean_item({"quantity": quantity, "unit": unit_code}, index=0, errors=errors)
    problems = errors.messages.get("items-0-quantity", []) + errors.messages.get("items-0-unit", [])
    if not quantity.strip() or not unit_code:
        problems = []
    unit = cleaned.get("unit")
    dimension = cleaned.get("normalised_dimension")
    bases: dict[str, str] = {
        Unit.Dimension.MASS: "kg",
        Unit.Dimension.VOLUME: "litres",
        Unit.Dimension.COUNT: "pieces",
        Unit.Dimension.STICKS: "sticks",
    }
    base = bases.get(str(dimension or ""), "")
    return render(
        request,
        "reports/_normalised.html",
        {
            "prefix": prefix,
            "value": cleaned.get("normalised_quantity"),
            "base": base,
            "unit": unit,
            "problems": [p for p in problems if "required" not in p],
            "asked": bool(quantity.strip() and unit_code),
        },
    )


# --- the report page ---------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, report: Report, **forms: Any) -> dict[str, Any]:
    user = request.user
    allowed = report_allowed_actions(user=user, report=report)
    return {
        "report": report,
        "allowed": allowed,
        "personal": bool(getattr(report, "can_view_personal_data", False)),
        "parties": parties_for(user=user, report=report),
        "attachments": attachments_for(user=user, report=report),
        "events": review_events_for(user=user, report=report),
        "candidates": duplicate_candidates_for(user=user, report=report) if "mark_duplicate" in allowed else [],
        "return_form": forms.get("return_form") or ReturnForm(),
        "approve_form": forms.get("approve_form") or ApproveForm(),
        "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
        "duplicate_form": forms.get("duplicate_form") or DuplicateForm(),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "submit_errors": forms.get("submit_errors") or [],
        "can_edit": "change" in allowed,
        "can_submit": "submit" in allowed,
        **sharing_sections(user=user, report=report, allowed=allowed, forms=forms),
    }


@login_required
@require_GET
def report_detail(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """All of one report the user may see; personal data through the gated, audited selectors."""
    report = _report(request, uuid, personal=True)
    return render(request, "reports/detail.html", _detail_context(request, report))


@login_required
@require_GET
def report_history(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """The change history as readable differences (a fragment for htmx, else a page)."""
    report = _report(request, uuid)
    try:
        entries = report_change_history(user=request.user, report=report)
    except NotFound as error:
        raise Http404(error.message) from error
    template = "reports/_history.html" if _is_htmx(request) else "reports/history.html"
    return render(request, template, {"report": report, "history": entries})


def _after_review(request: HttpRequest, report: Report) -> HttpResponse:
    """Back to the report, or to the review queue for an assigned reviewer whose rights ended with the review."""
    if Report.objects.allows(request.user, "view", report.pk):
        return redirect("reports:detail", uuid=report.uuid)
    return redirect("reports:review_queue")


def _rerender_detail(request: HttpRequest, report: Report, **forms: Any) -> HttpResponse:
    report = _report(request, report.uuid, personal=True)
    return render(request, "reports/detail.html", _detail_context(request, report, **forms), status=400)


@login_required
@require_POST
@_domain_errors
def report_submit_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Send a draft (or a returned report) for review; what is missing is shown on the form."""
    report = _report(request, uuid)
    try:
        if report.status == ReportStatus.RETURNED:
            services.report_resubmit(report=report, actor=request.user)
        else:
            services.report_submit(report=report, actor=request.user)
    except ValidationError as error:
        editable = _report(request, uuid, action="change", personal=True)
        personal = _personal_allowed(request, editable)
        parties = parties_for(user=request.user, report=editable) if personal else []
        stored = ReportEntry(initial=initial_from_report(editable, parties), personal=personal, mode="edit")
        entry = ReportEntry(
            data=entry_as_data(stored), initial=initial_from_report(editable, parties), personal=personal, mode="edit"
        )
        entry.is_valid()
        entry.service_input()
        entry.add_service_errors(error)
        messages.warning(request, "The report cannot be submitted yet: complete the fields listed below.")
        return _render_entry(
            request, entry, report=editable, ticket=_ticket(request, editable), show_errors=True, status=400
        )
    messages.success(request, f"Report {report.national_reference} submitted for review.")
    return redirect("reports:detail", uuid=uuid)


@login_required
@require_POST
@_domain_errors
def report_return_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Return a submitted report for correction; the comment is required."""
    report = _report(request, uuid)
    form = ReturnForm(request.POST)
    form.is_valid()
    try:
        services.report_return(report=report, actor=request.user, comment=form.cleaned_data.get("comment", ""))
    except ValidationError as error:
        for text in error.message_dict.get("comment", error.messages):
            form.add_error("comment", text)
        return _rerender_detail(request, report, return_form=form)
    messages.success(request, f"Report {report.national_reference} returned for correction.")
    return _after_review(request, report)


@login_required
@require_POST
@_domain_errors
def report_approve_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Approve a submitted report (of two reviewers at once, one wins; the other is told)."""
    report = _report(request, uuid)
    form = ApproveForm(request.POST)
    form.is_valid()
    services.report_approve(
        report=report,
        actor=request.user,
        comment=form.cleaned_data.get("comment", ""),
        free_text_checked=bool(form.cleaned_data.get("free_text_checked")),
    )
    messages.success(request, f"Report {report.national_reference} approved.")
    return _after_review(request, report)


@login_required
@require_POST
@_domain_errors
def report_withdraw_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Withdraw an approved report; the reason is required."""
    report = _report(request, uuid)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        services.report_withdraw(report=report, actor=request.user, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as error:
        for text in error.message_dict.get("reason", error.messages):
            form.add_error("reason", text)
        return _rerender_detail(request, report, withdraw_form=form)
    messages.success(request, f"Report {report.national_reference} withdrawn.")
    return redirect("reports:detail", uuid=uuid)


@login_required
@require_POST
@_domain_errors
def report_mark_duplicate_view(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Mark the report as a duplicate of another report the user can see (by its UUID)."""
    report = _report(request, uuid)
    form = DuplicateForm(request.POST)
    if not form.is_valid():
        return _rerender_detail(request, report, duplicate_form=form)
    try:
        original = report_get(user=request.user, uuid=form.cleaned_data["of"])
    except NotFound:
        form.add_error("of", "No report with this UUID that you can see.")
        return _rerender_detail(request, report, duplicate_form=form)
    try:
        services.report_mark_duplicate(
            report=report, of=original, actor=request.user, comment=form.cleaned_data.get("comment", "")
        )
    except ValidationError as error:
        for text in error.messages:
            form.add_error("of", text)
        return _rerender_detail(request, report, duplicate_form=form)
    messages.success(
        request, f"Report {report.national_reference} marked as a duplicate of {original.national_reference}."
    )
    return redirect("reports:detail", uuid=uuid)


@login_required
@require_POST
@_domain_errors
def attachment_add(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Attach a file (type sniffed, size limited by the domain)."""
    report = _report(request, uuid)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _rerender_detail(request, report, attachment_form=form)
    upload = form.cleaned_data["file"]
    try:
        services.report_attachment_add(
            report=report,
            actor=request.user,
            content=upload,
            original_name=upload.name,
            contains_personal_data=form.cleaned_data["contains_personal_data"],
            shareable=form.cleaned_data["shareable"],
            description=form.cleaned_data.get("description", ""),
        )
    except ValidationError as error:
        for key, texts in error.message_dict.items():
            for text in texts:
                form.add_error(key if key in form.fields else None, text)
        return _rerender_detail(request, report, attachment_form=form)
    messages.success(request, "File attached.")
    return redirect(reverse("reports:detail", kwargs={"uuid": uuid}) + "#attachments")


@login_required
@require_GET
def attachment_download(request: HttpRequest, uuid: uuid_module.UUID, pk: int) -> HttpResponseBase:
    """Stream one attachment as a download, once the report and the attachment are found to be visible."""
    report = _report(request, uuid)
    try:
        attachment = attachment_get(user=request.user, report=report, pk=pk)
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
