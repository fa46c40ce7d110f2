"""Session expiry notice and two-factor enforcement."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Pages a signed-in but not yet verified user may reach.
_TWO_FACTOR_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/favicon")


class SessionExpiryMiddleware:
    """Tells a user whose session timed out why they are asked to sign in again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        had_cookie = settings.SESSION_COOKIE_NAME in request.COOKIES
        if had_cookie and not request.user.is_authenticated and request.session.is_empty():
            request.session_expired = True  # type: ignore[attr-defined]
        return self.get_response(request)


class TwoFactorMiddleware:
    """Signed-in users who must (RILO staff) or chose to (an enrolled device) verify a TOTP code do so first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()  # type: ignore[union-attr,attr-defined]
            and not request.path.startswith(_TWO_FACTOR_EXEMPT_PREFIXES)
        ):
            from django_otp import user_has_device

            if user_has_device(user):
                return redirect(f"{reverse('accounts:otp_verify')}?next={request.get_full_path()}")
            if getattr(user, "requires_two_factor", False):
                messages.info(request, "Your role requires two-factor authentication. Set it up to continue.")
                return redirect("accounts:otp_setup")
        return self.get_response(request)
