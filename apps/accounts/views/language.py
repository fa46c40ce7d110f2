"""The language switcher: the header's and the sign-in page's form post here."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_POST

from .. import services
from ..forms import LanguageForm
from ..middleware import set_language_cookie
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
    if request.user.is_authenticated:
        services.user_set_language(user=request.user, language=language)  # type: ignore[arg-type]
    translation.activate(language)
    set_language_cookie(response, language)
    return response
