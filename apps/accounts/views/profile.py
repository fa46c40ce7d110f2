"""The "My account" page: the signed-in user's details, password and two-factor authentication."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .. import selectors
from ..forms import TokenForm


def render_profile(request: HttpRequest, *, disable_form: TokenForm | None = None, status: int = 200) -> HttpResponse:
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
    return render_profile(request)
