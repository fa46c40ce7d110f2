"""The site's languages, from ``settings.LANGUAGES`` alone: adding a language is a settings change (and its
catalogues), never a migration.

English is the language of the source strings and of a vocabulary term's ``label``; every other offered
language is a *translated* one (a catalogue under ``locale/``, a key of a term's ``translations``).
"""

from __future__ import annotations

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# The language the code's strings and the vocabularies' ``label`` are written in.
SOURCE_LANGUAGE = "en"

# Room for any language code Django knows ("zh-hans", "sr-latn", ...): the profile's choice and the language
# an e-mail was rendered in have the same length.
LANGUAGE_CODE_MAX_LENGTH = 16


def offered_languages() -> list[str]:
    """The codes of the languages a person may choose, in the settings' order."""
    return [code for code, _name in settings.LANGUAGES]


def is_offered(code: str | None) -> bool:
    """Whether ``code`` is one of the languages offered now (a stored choice may name one since removed)."""
    return bool(code) and code in offered_languages()


def chosen_language(user: object | None) -> str:
    """The language ``user`` chose if it is still offered; "" for no choice, a code since removed from
    ``settings.LANGUAGES``, or no user (an anonymous one, a deleted account)."""
    language = getattr(user, "language", "") or ""
    return language if is_offered(language) else ""


def language_of(user: object | None) -> str:
    """The language to write to ``user`` in when no request says otherwise (a worker, an e-mail): their chosen
    language while it is offered, else the site's."""
    return chosen_language(user) or str(settings.LANGUAGE_CODE)


def translated_languages() -> list[str]:
    """The offered languages other than the source language: the catalogues, and a term's translations' keys."""
    return [code for code in offered_languages() if code != SOURCE_LANGUAGE]


def current_language() -> str:
    """The active language reduced to an offered one ("fr-ca" is "fr"); the site's default otherwise."""
    active = get_language() or settings.LANGUAGE_CODE
    for candidate in (active, active.split("-")[0]):
        if is_offered(candidate):
            return candidate
    return str(settings.LANGUAGE_CODE)


# The languages that write a language's name in lower case within a sentence ("anglais, français", "inglés",
# "английский"); English (and the others) keep the capital Django's names have.
LOWER_CASE_LANGUAGE_NAMES = frozenset({"fr", "es", "ru"})


def language_names() -> str:
    """The site's languages, each named in the active language, separated by commas ("English, French, …"):
    Django's English names, through its catalogues (a language Django does not know keeps its own name), in
    lower case where the active language writes them so ("anglais, français, …")."""
    names = [_(LANG_INFO[code]["name"]) if code in LANG_INFO else name for code, name in settings.LANGUAGES]
    if current_language() in LOWER_CASE_LANGUAGE_NAMES:
        names = [name[:1].lower() + name[1:] for name in names]
    return ", ".join(names)


def _country_hint() -> str:
    return _("ISO code, or the name in one of these languages: %(languages)s; e.g. FR or France.") % {
        "languages": language_names()
    }


# A form field's help text is built once, when the form class is: evaluated in the language of each page.
country_hint_lazy = lazy(_country_hint, str)
