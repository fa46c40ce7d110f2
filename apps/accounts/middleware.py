"""Session expiry notice and two-factor enforcement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from apps.core.actor import Actor
from apps.core.languages import chosen_language

# Set in the session of a visitor whose session ran out; the login page shows the notice once.
SESSION_EXPIRED_KEY = "rilo_session_expired"

ViewFunc = Callable[..., Any]
V = TypeVar("V", bound=ViewFunc)


def two_factor_exempt(view: V) -> V:
    """Mark a view a signed-in user may reach before verifying a code (login, logout, 2FA set-up/verify)."""
    view.two_factor_exempt = True  # type: ignore[attr-defined]
    return view


class SessionExpiryMiddleware:
    """Remembers, for the login page, that a visitor came back with a session that had run out.

    A browser that still sends a session cookie whose session no longer exists (expired after
    ``SESSION_COOKIE_AGE`` seconds idle, or deleted) gets a fresh session holding only a flag; the
    login page pops it and says why the user must sign in again. Signing out deletes the cookie,
    so it never triggers the notice.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        had_cookie = bool(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
        if had_cookie and not request.user.is_authenticated and request.session.is_empty():
            request.session[SESSION_EXPIRED_KEY] = True
        return self.get_response(request)


class TwoFactorMiddleware:
    """A signed-in user who must verify a code first reaches only views marked ``two_factor_exempt``.

    That is a user with a confirmed device (anyone who turned 2FA on) not yet verified in this
    session, or a user whose role requires 2FA (RILO staff, superusers) and has no device yet: they
    are sent to the verify or set-up page, with the page they asked for as ``next``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: ViewFunc, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user: Any = request.user
        if not user.is_authenticated or user.is_verified() or getattr(view_func, "two_factor_exempt", False):
            return None
        target = two_factor_step(user)
        if target is None:
            return None
        url = f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}"
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "type": "two_factor_required",
                    "message": gettext("Verify your two-factor code in the web interface first."),
                    "details": {"url": url},
                },
                status=403,
            )
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)


def two_factor_step(user: Actor) -> str | None:
    """The URL name a signed-in, unverified user must visit next, or None if they need no code."""
    from django_otp import user_has_device

    if user_has_device(user):
        return "accounts:otp_verify"
    if getattr(user, "requires_two_factor", False):
        return "accounts:otp_setup"
    return None


def session_two_factor_verified(request: Any) -> bool:
    """Whether this request comes from a web session verified with its user's second factor.

    Only a session can be: a request authenticated with an API token (DRF's ``request.auth``) never is,
    whatever its holder's session did. Token issuing asks this, on the pages and in the API alike.
    """
    if getattr(request, "auth", None) is not None:
        return False
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


class UserLanguageMiddleware:
    """A signed-in user's pages are in the language saved on their profile, from the first page after sign-in.

    Django's LocaleMiddleware (before authentication) picks the language cookie, else the browser's
    ``Accept-Language``; here, once the user is known, the profile's choice replaces it. The cookie is set
    to the same language, so the sign-in page after signing out stays in it. The API is left to
    LocaleMiddleware: its error messages follow the client's ``Accept-Language``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = ""
        if not request.path.startswith("/api/") and request.user.is_authenticated:
            # Blank, or a language since removed from LANGUAGES: the cookie's or the browser's stays.
            language = chosen_language(request.user)
        if language and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            set_language_cookie(response, language)
        return response


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """Remember ``language`` in the browser (Django's language cookie, read by LocaleMiddleware)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=cast(Any, settings.LANGUAGE_COOKIE_SAMESITE),  # "Lax", "Strict" or "None", as Django's own
    )
