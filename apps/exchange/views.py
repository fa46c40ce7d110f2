"""Exchange pages: partner systems, sharing policies (with a dry run), operations and report timelines.

RILO administrators and analysts of the partner's RILO may look; only administrators act. A page
about a partner, a delivery or a report the user may not reach does not exist for them (404).
Views parse input, call one selector or service, and render.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.actor import Actor
from apps.core.exceptions import ApplicationError, NotFound, PermissionDenied
from apps.core.forms import show_errors

from . import operations, selectors, services
from .choices import DeliveryState, PartnerState
from .dryrun import policy_dry_run
from .forms import (
    AgreementRequestForm,
    PartnerForm,
    PartnerTokenForm,
    PolicyForm,
    ReplaySinceForm,
    RotateSecretForm,
    StateForm,
    TimelineSearchForm,
)
from .selectors import partner_current_policy

PER_PAGE = 50


def _actor(request: HttpRequest, permission: str) -> Any:
    """The signed-in user if they hold ``permission``; for anyone else the page does not exist."""
    if not request.user.has_perm(permission):
        raise Http404("No such page.")
    return request.user


def _partner(request: HttpRequest, pk: int, permission: str = "") -> tuple[Any, Any]:
    """The partner ``pk`` if the user may see it (and holds ``permission`` too, if given)."""
    actor = _actor(request, "exchange.view_partnersystem")
    if permission:
        actor = _actor(request, permission)
    return actor, selectors.partner_get(actor=actor, pk=pk)


def _can_manage(actor: Actor) -> bool:
    return bool(actor.has_perm("exchange.change_partnersystem"))


def _refused(request: HttpRequest, error: ApplicationError | DjangoValidationError) -> None:
    text = " ".join(error.messages) if isinstance(error, DjangoValidationError) else error.message
    messages.error(request, text)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


# --- partners ------------------------------------------------------------------------------------


@login_required
def partner_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, "exchange.view_partnersystem")
    context = {
        "summaries": operations.partners_overview(actor=actor),
        "can_create": actor.has_perm("exchange.add_partnersystem") and bool(actor.region_id),
        "search_form": TimelineSearchForm(),
    }
    return render(request, "exchange/partner_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def partner_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, "exchange.add_partnersystem")
    if not actor.region_id:
        raise DjangoPermissionDenied
    form = PartnerForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            partner, secret = services.partner_create(actor=actor, **form.values())
        except (ApplicationError, DjangoValidationError) as error:
            show_errors(form, error)
        else:
            context = {"partner": partner, "secret": secret, "created": True}
            return _no_store(render(request, "exchange/secret_shown.html", context))
    return render(request, "exchange/partner_form.html", {"form": form, "creating": True, "region": actor.region})


@login_required
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor, partner = _partner(request, pk)
    can_manage = _can_manage(actor)
    context = {
        "partner": partner,
        "health": operations.partner_health(partner=partner),
        "policy": partner_current_policy(partner=partner),
        "problems": operations.partner_deliveries(actor=actor, partner=partner, states=list(operations.PROBLEM_STATES))[
            :10
        ],
        "can_manage": can_manage,
        "can_replay": actor.has_perm("exchange.change_delivery"),
        "rotate_form": RotateSecretForm(),
        "replay_form": ReplaySinceForm(initial={"since": timezone.now() - dt.timedelta(hours=1)}),
        "token_form": PartnerTokenForm(),
        "states": PartnerState,
        "agreements": selectors.partner_agreements(actor=actor, partner=partner),
        "agreement_form": AgreementRequestForm(partner=partner) if can_manage else None,
    }
    return render(request, "exchange/partner_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor, partner = _partner(request, pk)
    if not _can_manage(actor):
        raise DjangoPermissionDenied
    form = PartnerForm(request.POST or None, actor=actor, partner=partner, initial=PartnerForm.initial_for(partner))
    if request.method == "POST" and form.is_valid():
        old_url = partner.endpoint_url
        try:
            partner, secret = services.partner_update(actor=actor, partner=partner, **form.values())
        except (ApplicationError, DjangoValidationError) as error:
            show_errors(form, error)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": partner.name})
            if secret:  # the endpoint moved to another host: a new secret, shown this once
                context = {"partner": partner, "secret": secret, "created": False, "moved_from": old_url}
                return _no_store(render(request, "exchange/secret_shown.html", context))
            return redirect("exchange:partner_detail", pk=partner.pk)
    return render(
        request,
        "exchange/partner_form.html",
        {"form": form, "creating": False, "partner": partner, "region": partner.region},
    )


@login_required
@require_POST
def partner_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    actor, partner = _partner(request, pk)
    form = RotateSecretForm(request.POST)
    if form.is_valid():
        try:
            secret = services.partner_secret_rotate(
                actor=actor, partner=partner, overlap=dt.timedelta(hours=form.cleaned_data["overlap_hours"])
            )
        except (ApplicationError, DjangoValidationError) as error:
            if isinstance(error, PermissionDenied | NotFound):
                raise
            _refused(request, error)
        else:
            partner.refresh_from_db()
            context = {"partner": partner, "secret": secret, "created": False}
            return _no_store(render(request, "exchange/secret_shown.html", context))
    else:
        messages.error(request, _("Choose an overlap between 0 and 168 hours."))
    return redirect("exchange:partner_detail", pk=partner.pk)


@login_required
@require_POST
def partner_state(request: HttpRequest, pk: int) -> HttpResponse:
    actor, partner = _partner(request, pk)
    form = StateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose active, paused or disabled."))
        return redirect("exchange:partner_detail", pk=partner.pk)
    state = form.cleaned_data["state"]
    try:
        services.partner_state_set(actor=actor, partner=partner, state=state, reason=form.cleaned_data["reason"])
    except (ApplicationError, DjangoValidationError) as error:
        if isinstance(error, PermissionDenied | NotFound):
            raise
        _refused(request, error)
    else:
        messages.success(request, str(_STATE_SET[state]) % {"name": partner.name})
    return redirect("exchange:partner_detail", pk=partner.pk)


# What the page says once a partner's state is set: a whole sentence per state.
_STATE_SET = {
    PartnerState.ACTIVE: gettext_lazy("%(name)s is now active."),
    PartnerState.PAUSED: gettext_lazy("%(name)s is now paused: its deliveries are held."),
    PartnerState.DISABLED: gettext_lazy("%(name)s is now disabled."),
}


@login_required
@require_POST
def partner_token(request: HttpRequest, pk: int) -> HttpResponse:
    actor, partner = _partner(request, pk)
    form = PartnerTokenForm(request.POST)
    if form.is_valid():
        try:
            token, plaintext = services.partner_account_token_issue(
                actor=actor,
                partner=partner,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
            )
        except (ApplicationError, DjangoValidationError) as error:
            if isinstance(error, PermissionDenied | NotFound):
                raise
            _refused(request, error)
        else:
            context = {"partner": partner, "token": token, "plaintext": plaintext}
            return _no_store(render(request, "exchange/token_shown.html", context))
    else:
        messages.error(request, _("Give the token a name and at least one scope."))
    return redirect("exchange:partner_detail", pk=partner.pk)


# --- policies ------------------------------------------------------------------------------------


@login_required
def policy_list(request: HttpRequest, pk: int) -> HttpResponse:
    actor, partner = _partner(request, pk, "exchange.view_sharingpolicy")
    context = {
        "partner": partner,
        "policies": selectors.partner_policies(actor=actor, partner=partner),
        "can_manage": _can_manage(actor) and actor.has_perm("exchange.add_sharingpolicy"),
    }
    return render(request, "exchange/policy_list.html", context)


def _proposal_fields(request: HttpRequest) -> list[tuple[str, str]]:
    """The proposal as posted, to carry it through the dry-run page unchanged."""
    skip = {"csrfmiddlewaretoken", "action"}
    return [(name, value) for name, values in request.POST.lists() if name not in skip for value in values]


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1: the proposal form. Step 2 (``action=preview``): the dry run, with the save button.

    ``action=save`` saves; ``action=edit`` goes back to the form with everything as typed.
    """
    actor, partner = _partner(request, pk)
    if not (_can_manage(actor) and actor.has_perm("exchange.add_sharingpolicy")):
        raise DjangoPermissionDenied
    current = partner_current_policy(partner=partner)
    action = request.POST.get("action", "")
    form = (
        PolicyForm(request.POST, partner=partner, actor=actor)
        if request.method == "POST"
        else PolicyForm(initial=PolicyForm.initial_from(current), partner=partner, actor=actor)
    )
    context: dict[str, Any] = {"partner": partner, "current": current, "form": form}
    if request.method == "POST" and action in {"preview", "save"} and form.is_valid():
        spec = form.spec()
        try:
            if action == "save":
                policy = services.partner_policy_create(
                    actor=actor, partner=partner, spec=spec, base_version=form.cleaned_data["base_version"]
                )
                messages.success(
                    request,
                    _("Policy version %(version)s of %(name)s saved; it applies now.")
                    % {"version": policy.version, "name": partner.name},
                )
                return redirect("exchange:policy_list", pk=partner.pk)
            dry_run = policy_dry_run(actor=actor, partner=partner, spec=spec)
        except DjangoValidationError as error:
            form.add_policy_errors(error.message_dict if hasattr(error, "error_dict") else {"": error.messages})
        except ApplicationError as error:
            if isinstance(error, PermissionDenied | NotFound):
                raise
            form.add_error(None, error.message)
        else:
            context |= {"dry_run": dry_run, "proposal": _proposal_fields(request)}
            return render(request, "exchange/policy_dry_run.html", context)
    return render(request, "exchange/policy_form.html", context)


# --- operations ----------------------------------------------------------------------------------


@login_required
def delivery_list(request: HttpRequest, pk: int) -> HttpResponse:
    actor, partner = _partner(request, pk, "exchange.view_delivery")
    state = request.GET.get("state", "problems")
    valid = {str(s.value) for s in DeliveryState}
    if state == "problems":
        states = [str(s) for s in operations.PROBLEM_STATES]
    elif state in valid:
        states = [state]
    else:
        state, states = "all", []
    page = Paginator(operations.partner_deliveries(actor=actor, partner=partner, states=states), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "partner": partner,
        "page_obj": page,
        "deliveries": page.object_list,
        "state": state,
        "state_choices": [("problems", _("Needing attention (dead, refused, partner disabled)")), ("all", _("All"))]
        + [(str(s.value), str(s.label)) for s in DeliveryState],
        "query": f"state={state}",
        "can_replay": actor.has_perm("exchange.change_delivery"),
        "can_manage": _can_manage(actor),
    }
    return render(request, "exchange/delivery_list.html", context)


@login_required
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request, "exchange.view_partnersystem")
    delivery = operations.delivery_get(actor=actor, pk=pk)
    try:
        services.delivery_replay(actor=actor, delivery=delivery)
    except (ApplicationError, DjangoValidationError) as error:
        if isinstance(error, PermissionDenied | NotFound):
            raise
        _refused(request, error)
    else:
        messages.success(
            request,
            _("Delivery %(pk)s to %(name)s will be sent again now.")
            % {"pk": delivery.pk, "name": delivery.partner.name},
        )
    back = request.POST.get("back", "")
    if back == "timeline":
        return redirect("exchange:timeline", report_uuid=delivery.report_uuid)
    return redirect("exchange:delivery_list", pk=delivery.partner_id)


@login_required
@require_POST
def partner_replay_since(request: HttpRequest, pk: int) -> HttpResponse:
    actor, partner = _partner(request, pk, "exchange.view_delivery")
    form = ReplaySinceForm(request.POST)
    if form.is_valid():
        try:
            result = services.partner_deliveries_replay_since(
                actor=actor, partner=partner, since=form.cleaned_data["since"]
            )
        except (ApplicationError, DjangoValidationError) as error:
            if isinstance(error, PermissionDenied | NotFound):
                raise
            _refused(request, error)
        else:
            count = result.sent
            messages.success(
                request,
                ngettext(
                    "%(n)d message to %(partner)s will be sent again.",
                    "%(n)d messages to %(partner)s will be sent again.",
                    count,
                )
                % {"n": count, "partner": partner.name},
            )
            if result.skipped:
                messages.warning(
                    request,
                    ngettext(
                        "%(n)d message was not sent again (superseded, withdrawn, a duplicate or no longer "
                        "allowed); its reason is in its delivery's attempts.",
                        "%(n)d messages were not sent again (superseded, withdrawn, duplicates or no longer "
                        "allowed); their reasons are in their deliveries' attempts.",
                        len(result.skipped),
                    )
                    % {"n": len(result.skipped)},
                )
    else:
        messages.error(request, _("Enter the time as YYYY-MM-DD HH:MM (UTC)."))
    return redirect("exchange:partner_detail", pk=partner.pk)


@login_required
def timeline_search(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, "exchange.view_partnersystem")
    form = TimelineSearchForm(request.GET or None)
    reports: list[Any] = []
    if form.is_valid():
        reports = list(operations.timeline_reports(actor=actor, key=form.cleaned_data["report"])[:20])
        if len(reports) == 1:
            return redirect("exchange:timeline", report_uuid=reports[0].uuid)
    return render(request, "exchange/timeline_search.html", {"form": form, "reports": reports})


@login_required
def timeline(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    actor = _actor(request, "exchange.view_partnersystem")
    context = {
        "timeline": operations.report_timeline(actor=actor, report_uuid=report_uuid),
        "can_replay": actor.has_perm("exchange.change_delivery"),
    }
    return render(request, "exchange/timeline.html", context)


# --- cross-region agreements ---------------------------------------------------------------------


@login_required
@require_POST
def agreement_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask another region for its reports, for a partner of the actor's RILO."""
    actor, partner = _partner(request, pk)  # the capability is the service's to check
    form = AgreementRequestForm(request.POST, partner=partner)
    if form.is_valid():
        try:
            agreement = services.agreement_request(
                actor=actor,
                partner=partner,
                region=form.cleaned_data["region"],
                personal_data=bool(form.cleaned_data.get("personal_data")),
            )
        except (ApplicationError, DjangoValidationError) as error:
            if isinstance(error, PermissionDenied | NotFound):
                raise
            _refused(request, error)
        else:
            messages.success(
                request,
                _("Asked %(region)s for its reports; its administrators decide.") % {"region": agreement.region.name},
            )
    else:
        messages.error(request, _("Choose the region to ask."))
    return redirect("exchange:partner_detail", pk=partner.pk)


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    """Agreements other regions' partners ask of the user's region (to decide), and those of its own partners."""
    actor = _actor(request, "exchange.view_crossregionagreement")
    addressed = selectors.agreements_addressed(actor=actor)
    context = {
        "addressed": addressed,
        "own": selectors.agreements_reachable(actor=actor).exclude(pk__in=addressed.values("pk")),
        "can_decide": actor.has_perm("exchange.change_crossregionagreement"),
    }
    return render(request, "exchange/agreement_list.html", context)


_DECISIONS = {
    "approve": (
        services.agreement_approve,
        gettext_lazy("Agreement approved: reports of %(region)s may now reach %(partner)s."),
    ),
    "refuse": (
        services.agreement_refuse,
        gettext_lazy("Agreement refused: %(partner)s receives nothing of %(region)s."),
    ),
    "revoke": (
        services.agreement_revoke,
        gettext_lazy("Agreement revoked: %(partner)s no longer receives reports of %(region)s."),
    ),
}


@login_required
@require_POST
def agreement_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Approve, refuse or revoke an agreement addressed to the user's region (404 unseen, 403 if not theirs)."""
    actor = _actor(request, "exchange.view_crossregionagreement")
    if decision not in _DECISIONS:
        raise Http404("No such page.")
    agreement = selectors.agreement_get(actor=actor, pk=pk)
    service, done = _DECISIONS[decision]
    try:
        service(actor=actor, agreement=agreement)
    except ApplicationError as error:
        if isinstance(error, PermissionDenied | NotFound):
            raise
        _refused(request, error)
    else:
        messages.success(request, str(done) % {"region": agreement.region.name, "partner": agreement.partner.name})
    return redirect("exchange:agreement_list")
