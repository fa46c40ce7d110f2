"""Account pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html")


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
