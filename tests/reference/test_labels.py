"""Every shipped term has a label in French, Spanish and Russian (HS descriptions stay English), shown in
the reader's language; countries come in the reader's language from django-countries."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.utils import translation

from apps.reference.models import (
    VOCABULARY_MODELS,
    CommodityType,
    ConcealmentMethod,
    Currency,
    Direction,
    HSCode,
    TransportMode,
    Unit,
)
from apps.reference.querysets import translated_languages
from apps.reference.selectors import country_resolve

pytestmark = pytest.mark.django_db

# Every language of the site but English, the language of ``label``: a language added must bring its labels.
TRANSLATED_LANGUAGES = tuple(translated_languages())


@pytest.mark.parametrize("model", [m for m in VOCABULARY_MODELS if m is not HSCode], ids=lambda m: m.__name__)
def test_every_shipped_term_has_a_label_in_every_language_of_the_site(model: Any) -> None:
    terms = list(model.objects.all())
    assert terms, model.__name__
    missing = [
        (term.code, language)
        for term in terms
        for language in TRANSLATED_LANGUAGES
        if not str(term.translations.get(language) or "").strip()
    ]
    assert missing == []


def test_translated_labels_differ_from_the_english_where_the_languages_differ() -> None:
    # A copy of the English label would pass the test above; the Russian labels are all in Cyrillic.
    for model in (CommodityType, ConcealmentMethod, TransportMode, Direction, Unit):
        latin = [term.code for term in model.objects.all() if term.translations["ru"].isascii()]
        assert latin == [], model.__name__


def test_hs_descriptions_stay_english() -> None:
    assert not HSCode.objects.exclude(translations={}).exists()


def test_the_label_follows_the_active_language() -> None:
    seizure_route = Direction.objects.get(code="IMPORT")
    shown = {}
    for language in ("en", *TRANSLATED_LANGUAGES):
        with translation.override(language):
            shown[language] = str(seizure_route)
    assert shown == {"en": "Import", "fr": "Importation", "es": "Importación", "ru": "Ввоз"}


def test_currency_names_come_from_cldr() -> None:
    euro = Currency.objects.get(code="EUR")
    assert (euro.translations["fr"], euro.translations["es"], euro.translations["ru"]) == ("Euro", "Euro", "Евро")


def test_the_label_migrations_keep_a_label_an_administrator_corrected() -> None:
    Direction.objects.filter(code="EXPORT").update(translations={"fr": "Export (corrigé)"})
    importlib.import_module("apps.reference.migrations.0007_term_labels_fr_es_ru").load(apps, None)
    assert Direction.objects.get(code="EXPORT").translations == {
        "fr": "Export (corrigé)",
        "es": "Exportación",
        "ru": "Вывоз",
    }


def test_country_names_are_localised_and_resolved_in_every_language() -> None:
    from django_countries.fields import Country

    with translation.override("ru"):
        assert Country("KZ").name == "Казахстан"
    with translation.override("fr"):
        assert Country("DE").name == "Allemagne"
    assert country_resolve("Allemagne") == "DE"
    assert country_resolve("alemania") == "DE"
    assert country_resolve("Казахстан") == "KZ"
