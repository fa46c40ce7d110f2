"""Signing in and out, and where to go next."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from apps.core.languages import is_offered

from .. import services
from ..forms import LoginForm
from ..middleware import SESSION_EXPIRED_KEY, two_factor_step
from ..models import User


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` URL of the request if it points into this site, else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


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
            # The password alone chooses nothing on the profile: the language is kept past the second factor.
            return redirect(with_next(step, next_url))
        keep_sign_in_language(self.request, user)
        return HttpResponseRedirect(next_url)


def keep_sign_in_language(request: HttpRequest, user: User) -> None:
    """An account with no language chosen yet (or one no longer offered) takes the one its sign-in pages were
    in, when the person chose it (the language cookie) or their browser asked for it (``Accept-Language``):
    their e-mails follow it from now on, not the site's default. A page in the default language for want of
    any wish saves nothing. Called once the sign-in is complete: past the second factor if the account has one,
    as the language page saves a choice only then (a password alone does not choose the language of the
    account's security e-mails)."""
    if is_offered(user.language):
        return
    asked = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or request.headers.get("Accept-Language")
    language = getattr(request, "LANGUAGE_CODE", "")
    if asked and is_offered(language):
        services.user_set_language(user=user, language=language)


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only) and say so on the login page."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You have signed out."))
        return response
