"""The admin site requires a session verified with a two-factor code, for everyone."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.admin import OTPAdminSite

from .middleware import two_factor_step


class RiloAdminSite(OTPAdminSite):
    """``OTPAdminSite`` (permission needs ``user.is_verified()``) whose login is the application's own.

    Signing in, verifying a code and setting up an authenticator all happen on the account pages,
    so the admin keeps no second login form; a user who must still verify is sent there.
    """

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        index = reverse("admin:index", current_app=self.name)
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or request.POST.get(REDIRECT_FIELD_NAME) or index
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = index
        user: Any = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url, reverse("accounts:login"))
        if not user.is_verified():
            step = two_factor_step(user) or "accounts:otp_setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': next_url})}")
        if self.has_permission(request):
            return redirect(next_url)
        raise PermissionDenied("Your account may not use the administration site.")
