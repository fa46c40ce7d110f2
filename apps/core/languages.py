"""The site's languages named for a reader: the help texts that say which languages a code or a label may be
typed in take the list from ``settings.LANGUAGES``, so a language added there is named everywhere."""

from __future__ import annotations

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.utils.functional import lazy
from django.utils.translation import gettext as _


def language_names() -> str:
    """The site's languages, each named in the active language, separated by commas ("English, French, …"):
    Django's English names, through its catalogues (a language Django does not know keeps its own name)."""
    return ", ".join(_(LANG_INFO[code]["name"]) if code in LANG_INFO else name for code, name in settings.LANGUAGES)


def _country_hint() -> str:
    return _("ISO code, or the name in one of these languages: %(languages)s; e.g. FR or France.") % {
        "languages": language_names()
    }


# A form field's help text is built once, when the form class is: evaluated in the language of each page.
country_hint_lazy = lazy(_country_hint, str)
