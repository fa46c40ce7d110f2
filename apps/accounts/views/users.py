"""User management pages: the accounts in the actor's reach, creating, editing, deactivating and resetting them."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.exceptions import ApplicationError
from apps.core.forms import show_errors
from apps.core.request_actor import request_actor

from .. import selectors, services
from ..delegation import roles_manageable_by
from ..emails import LinkBase
from ..forms import UserCreateForm, UserEditForm, UserSearchForm

USERS_PER_PAGE = 25


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    """Accounts in the actor's reach, searchable, paginated."""
    actor = request_actor(request)
    if not actor.has_perm("accounts.view_user"):
        raise DjangoPermissionDenied
    search_form = UserSearchForm(request.GET)
    search = search_form.cleaned_data["q"] if search_form.is_valid() else ""
    page = Paginator(selectors.user_list(actor=actor, search=search), USERS_PER_PAGE).get_page(request.GET.get("page"))
    manageable_roles = roles_manageable_by(actor) if actor.has_perm("accounts.change_user") else frozenset()
    context = {
        "search_form": search_form,
        "page_obj": page,
        "users": page.object_list,
        "manageable_roles": manageable_roles,
        "can_create": actor.has_perm("accounts.add_user") and bool(roles_manageable_by(actor)),
        "query": urlencode({"q": search}) if search else "",
    }
    return render(request, "accounts/user_list.html", context)


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    """A new account in the actor's administration or region; its owner gets a set-your-password e-mail."""
    actor = request_actor(request)
    if not actor.has_perm("accounts.add_user") or not roles_manageable_by(actor):
        raise DjangoPermissionDenied
    form = UserCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=actor,
                username=data["username"],
                role=data["role"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                administration=data.get("administration"),
                link_base=LinkBase.from_request(request),
            )
        except (ApplicationError, DjangoValidationError) as exc:
            show_errors(form, exc)
        else:
            messages.success(
                request,
                format_html(
                    _("Account {account} created. A link to set a password was sent to {address}."),
                    account=user,
                    address=user.email,
                ),
            )
            return redirect("accounts:user_edit", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@login_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Name, e-mail and role of a managed account, with its deactivate and password-link actions."""
    actor = request_actor(request)
    target = get_object_or_404(selectors.user_manageable(actor=actor), pk=pk)
    initial = {
        "first_name": target.first_name,
        "last_name": target.last_name,
        "email": target.email,
        "role": target.role,
    }
    form = UserEditForm(request.POST or None, actor=actor, target=target, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                user=target,
                actor=actor,
                role=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
            )
        except (ApplicationError, DjangoValidationError) as exc:
            target.refresh_from_db()
            show_errors(form, exc)
        else:
            messages.success(request, _("Account %(target)s saved.") % {"target": target})
            return redirect("accounts:user_list")
    context = {
        "form": form,
        "target": target,
        "creating": False,
        "is_self": target.pk == actor.pk,
        "has_two_factor": selectors.user_two_factor_device(user=target) is not None,
    }
    return render(request, "accounts/user_form.html", context)


def _user_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = request_actor(request)
    target = get_object_or_404(selectors.user_manageable(actor=actor), pk=pk)
    try:
        if action == "deactivate":
            services.user_deactivate(user=target, actor=actor)
            messages.success(
                request, _("Account %(target)s is deactivated; it can no longer sign in.") % {"target": target}
            )
        elif action == "reactivate":
            services.user_reactivate(user=target, actor=actor)
            messages.success(request, _("Account %(target)s is active again.") % {"target": target})
        elif action == "two_factor_reset":
            services.user_two_factor_reset(user=target, actor=actor)
            messages.success(
                request,
                _("Two-factor authentication of %(user)s is reset; they set it up again at their next sign-in.")
                % {"user": target},
            )
        else:
            services.user_password_reset_send(user=target, actor=actor, link_base=LinkBase.from_request(request))
            messages.success(
                request, _("A link to choose a new password was sent to %(email)s.") % {"email": target.email}
            )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:user_edit", pk=target.pk)


@login_required
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_action(request, pk, "deactivate")


@login_required
@require_POST
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_action(request, pk, "reactivate")


@login_required
@require_POST
def user_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_action(request, pk, "password_reset")


@login_required
@require_POST
def user_two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_action(request, pk, "two_factor_reset")
