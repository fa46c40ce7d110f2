"""The language switcher's form (header and sign-in page)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    """One of the offered languages; ``next`` (the page to go back to) is read by the view."""

    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
