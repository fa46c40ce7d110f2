"""Administration pages for RILO administrators: list, add, edit (their region only)."""

from __future__ import annotations

import copy
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from apps.core.exceptions import ApplicationError
from apps.core.forms import show_errors
from apps.core.request_actor import request_actor

from . import selectors, services
from .forms import AdministrationForm, AdministrationSearchForm

PER_PAGE = 25


@login_required
def administration_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not actor.has_perm("tenancy.change_administration"):
        raise DjangoPermissionDenied
    search_form = AdministrationSearchForm(request.GET)
    search = search_form.cleaned_data["q"] if search_form.is_valid() else ""
    administrations = selectors.administration_list(actor=actor, search=search)
    page = Paginator(administrations, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "search_form": search_form,
        "page_obj": page,
        "administrations": page.object_list,
        "can_create": actor.has_perm("tenancy.add_administration") and bool(actor.region_id),
        "query": urlencode({"q": search}) if search else "",
    }
    return render(request, "tenancy/administration_list.html", context)


@login_required
def administration_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not actor.has_perm("tenancy.add_administration") or not actor.region_id:
        raise DjangoPermissionDenied
    region = selectors.actor_region(actor=actor)
    form = AdministrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            administration = services.administration_create(actor=actor, **form.cleaned_data)
        except (ApplicationError, DjangoValidationError) as exc:
            show_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(administration)s added to %(region)s.") % {"administration": administration, "region": region},
            )
            return redirect("tenancy:administration_list")
    return render(request, "tenancy/administration_form.html", {"form": form, "creating": True, "region": region})


@login_required
def administration_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    administration = get_object_or_404(selectors.administration_changeable(actor=actor), pk=pk)
    # The form edits a copy, so a refused change leaves the shown object as stored.
    form = AdministrationForm(request.POST or None, instance=copy.copy(administration))
    if request.method == "POST" and form.is_valid():
        try:
            services.administration_update(actor=actor, administration=administration, **form.cleaned_data)
        except (ApplicationError, DjangoValidationError) as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("%(administration)s saved.") % {"administration": administration})
            return redirect("tenancy:administration_list")
    context = {"form": form, "creating": False, "administration": administration, "region": administration.region}
    return render(request, "tenancy/administration_form.html", context)
