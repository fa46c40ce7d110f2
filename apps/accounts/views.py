"""Account pages: sign-in and out, passwords, two-factor authentication, "My account", user management."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.exceptions import ApplicationError
from apps.core.forms import show_errors

from . import selectors, services
from .delegation import roles_manageable_by
from .emails import LinkBase
from .forms import LoginForm, TokenForm, UserCreateForm, UserEditForm, UserSearchForm
from .middleware import SESSION_EXPIRED_KEY, two_factor_exempt, two_factor_step

USERS_PER_PAGE = 25


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` URL of the request if it points into this site, else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


# --- Sign in and out --------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Username and password; then the two-factor step if the account has or needs one."""

    template_name = "accounts/login.html"
    form_class = LoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["session_expired"] = bool(self.request.session.pop(SESSION_EXPIRED_KEY, False))
        return context

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        self.request.session.pop(SESSION_EXPIRED_KEY, None)
        auth_login(self.request, user)
        next_url = self.get_success_url()
        step = two_factor_step(user)
        if step:
            return redirect(_with_next(step, next_url))
        return HttpResponseRedirect(next_url)


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only) and say so on the login page."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You have signed out.")
        return response


# --- Two-factor authentication ----------------------------------------------------------------


@two_factor_exempt
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask a signed-in user with a confirmed device for a current code."""
    user: Any = request.user
    next_url = safe_next(request, reverse("core:home"))
    if user.is_verified():
        return redirect(next_url)
    step = two_factor_step(user)
    if step != "accounts:otp_verify":
        return redirect(_with_next(step, next_url) if step else next_url)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.otp_device_verify(user=user, token=form.cleaned_data["token"])
        except ApplicationError as exc:
            show_errors(form, exc)
        else:
            request.session.cycle_key()
            django_otp.login(request, device)
            return redirect(next_url)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


def _qr_svg(uri: str) -> SafeString:
    """The provisioning URI as an inline SVG QR code, drawn on the server (no script, no image request)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title="QR code")
    # segno's SVG is generated from the URI's bits only, never from markup.
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-label="QR code to scan" ', 1))  # noqa: S308


@two_factor_exempt
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: scan the QR code (or type the key), then confirm with a code."""
    user: Any = request.user
    next_url = safe_next(request, reverse("accounts:profile"))
    if selectors.user_two_factor_device(user=user) is not None:
        messages.info(request, "Two-factor authentication is already on for your account.")
        return redirect("accounts:profile")
    device = services.otp_device_start(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.otp_device_confirm(user=user, token=form.cleaned_data["token"])
        except ApplicationError as exc:
            show_errors(form, exc)
        else:
            request.session.cycle_key()
            django_otp.login(request, device)
            messages.success(request, "Two-factor authentication is on. You will be asked for a code at each sign-in.")
            return redirect(next_url)
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": _qr_svg(device.config_url),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "required": user.requires_two_factor,
    }
    response = render(request, "accounts/otp_setup.html", context)
    response["Cache-Control"] = "no-store"  # the page shows the secret key
    return response


@login_required
@require_POST
def otp_disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor authentication off, for roles that may, after checking a current code."""
    user: Any = request.user
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            services.otp_device_disable(user=user, token=form.cleaned_data["token"])
        except ApplicationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, "Two-factor authentication is off.")
            return redirect("accounts:profile")
    return _render_profile(request, disable_form=form, status=400)


# --- My account ------------------------------------------------------------------------------


def _render_profile(request: HttpRequest, *, disable_form: TokenForm | None = None, status: int = 200) -> HttpResponse:
    user: Any = request.user
    device = selectors.user_two_factor_device(user=user)
    context = {
        "device": device,
        "can_disable": device is not None and not user.requires_two_factor,
        "disable_form": disable_form or TokenForm(),
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in user's details, password and two-factor authentication."""
    return _render_profile(request)


# --- User management -------------------------------------------------------------------------


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    """Accounts in the actor's reach, searchable, paginated."""
    actor: Any = request.user
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
    actor: Any = request.user
    if not actor.has_perm("accounts.add_user") or not roles_manageable_by(actor):
        raise DjangoPermissionDenied
    form = UserCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_invite(
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
                request, format_html("Account {} created. A link to set a password was sent to {}.", user, user.email)
            )
            return redirect("accounts:user_edit", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@login_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Name, e-mail and role of a managed account, with its deactivate and password-link actions."""
    actor: Any = request.user
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
            messages.success(request, f"Account {target} saved.")
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
    actor: Any = request.user
    target = get_object_or_404(selectors.user_manageable(actor=actor), pk=pk)
    try:
        if action == "deactivate":
            services.user_deactivate(user=target, actor=actor)
            messages.success(request, f"Account {target} is deactivated; it can no longer sign in.")
        elif action == "reactivate":
            services.user_reactivate(user=target, actor=actor)
            messages.success(request, f"Account {target} is active again.")
        elif action == "two_factor_reset":
            services.user_two_factor_reset(user=target, actor=actor)
            messages.success(
                request,
                _("Two-factor authentication of %(user)s is reset; they set it up again at their next sign-in.")
                % {"user": target},
            )
        else:
            services.user_password_reset_send(user=target, actor=actor, link_base=LinkBase.from_request(request))
            messages.success(request, f"A link to choose a new password was sent to {target.email}.")
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
