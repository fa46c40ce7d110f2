"""The language switcher: the header's and the sign-in page's form post here."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_POST

from .. import services
from ..forms import LanguageForm
from ..middleware import session_two_factor_verified, set_language_cookie, two_factor_step
from .sign_in import safe_next


@require_POST
def language_choose(request: HttpRequest) -> HttpResponse:
    """Save the chosen language on the profile when signed in, and in the language cookie in any case
    (so the sign-in page keeps it); then go back to the page the form was on."""
    default = reverse("core:home") if request.user.is_authenticated else reverse(settings.LOGIN_URL)
    response = HttpResponseRedirect(safe_next(request, default))
    form = LanguageForm(request.POST)
    if not form.is_valid():
        # A tampered or stale form: nothing to save, the page stays in its language.
        return response
    language = form.cleaned_data["language"]
    # The profile is changed only by a session past its second factor (or an account that has none): a password
    # alone does not choose the language of the account's security e-mails. The cookie is set in any case.
    if request.user.is_authenticated and (
        session_two_factor_verified(request) or two_factor_step(request.user) is None  # type: ignore[arg-type]
    ):
        services.user_set_language(user=request.user, language=language)  # type: ignore[arg-type]
    translation.activate(language)
    set_language_cookie(response, language)
    return response
