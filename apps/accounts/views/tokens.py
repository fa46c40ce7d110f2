"""API token pages: list, issue (the token is shown once), revoke.

Everyone sees and revokes their own tokens and issues them from a session verified with their
second factor; coordinators and RILO administrators also issue tokens for the partner-system
accounts they manage and see and revoke the tokens of the accounts they reach. The lists come
from restrict(), and anything else is a 404.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.core.exceptions import ApplicationError, Conflict
from apps.core.forms import show_errors

from ..forms import ApiTokenForm
from ..middleware import session_two_factor_verified, two_factor_step
from ..models import User
from ..selectors import api_token_get, api_token_holders, api_token_list
from ..services import token_issue, token_revoke


def _actor(request: HttpRequest, permission: str) -> User:
    user = request.user
    if not isinstance(user, User) or not user.has_perm(permission):
        raise Http404("No such page.")
    return user


@login_required
def token_list_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, "accounts.view_apitoken")
    tokens = api_token_list(user=actor)
    revocable = set(api_token_list(user=actor, action="change").values_list("pk", flat=True))
    context = {
        "tokens": tokens,
        "revocable": revocable,
        "can_issue": api_token_holders(actor=actor).exists(),
    }
    return render(request, "accounts/token_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def token_create_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, "accounts.view_apitoken")
    verified = session_two_factor_verified(request)
    if not verified:
        # A token acts as its holder: it is issued only from a session verified with a second factor.
        messages.info(
            request,
            _(
                "A token acts as you, so it is issued only from a session verified with your second factor. "
                "Set up two-factor authentication first; you will then come back to issue your token."
            ),
        )
        step = two_factor_step(actor) or "accounts:otp_setup"
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
    form = ApiTokenForm(request.POST or None, holders=api_token_holders(actor=actor), initial={"user": actor.username})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, plaintext = token_issue(
                user=data["user"],
                name=data["name"],
                scopes=data["scopes"],
                expires_at=timezone.now() + timedelta(days=data["expires_in_days"]),
                actor=actor,
                two_factor_verified=verified,
            )
        except ApplicationError as error:
            show_errors(form, error, renamed={"expires_at": "expires_in_days"})
        else:
            response = render(request, "accounts/token_created.html", {"token": token, "plaintext": plaintext})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "accounts/token_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request, "accounts.change_apitoken")
    token = api_token_get(user=actor, pk=pk, action="change")  # NotFound: the 404 page
    if request.method == "POST":
        try:
            token_revoke(token=token, actor=actor)
        except Conflict as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("The token “%(name)s” (%(prefix)s…) is revoked.")
                % {"name": token.name, "prefix": token.display_prefix},
            )
        return redirect("accounts:token_list")
    return render(request, "accounts/token_revoke.html", {"token": token})
