"""Two-factor authentication pages: verify a code, set up an authenticator app, turn it off."""

from __future__ import annotations

import base64
from typing import Any

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.core.exceptions import ApplicationError
from apps.core.forms import show_errors

from .. import selectors, services
from ..forms import TokenForm
from ..middleware import two_factor_exempt, two_factor_step
from .profile import render_profile
from .sign_in import keep_sign_in_language, safe_next, with_next


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
        return redirect(with_next(step, next_url) if step else next_url)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.otp_device_verify(user=user, token=form.cleaned_data["token"])
        except ApplicationError as exc:
            show_errors(form, exc)
        else:
            request.session.cycle_key()
            django_otp.login(request, device)
            keep_sign_in_language(request, user)
            return redirect(next_url)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


def _qr_svg(uri: str) -> SafeString:
    """The provisioning URI as an inline SVG QR code, drawn on the server (no script, no image request)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title=_("QR code"))
    # segno's SVG is generated from the URI's bits only, never from markup.
    label = escape(str(_("QR code")))
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S308


@two_factor_exempt
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: scan the QR code (or type the key), then confirm with a code."""
    user: Any = request.user
    next_url = safe_next(request, reverse("accounts:profile"))
    if selectors.user_two_factor_device(user=user) is not None:
        messages.info(request, _("Two-factor authentication is already on for your account."))
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
            keep_sign_in_language(request, user)
            messages.success(
                request, _("Two-factor authentication is on. You will be asked for a code at each sign-in.")
            )
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
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("accounts:profile")
    return render_profile(request, disable_form=form, status=400)
