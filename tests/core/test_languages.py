"""The language a person is written to in: their choice while the site still offers it, else the site's."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from apps.core.languages import chosen_language, language_of


def test_a_chosen_language_still_offered_is_the_persons() -> None:
    person = SimpleNamespace(language="ru")
    assert chosen_language(person) == "ru"
    assert language_of(person) == "ru"


def test_a_language_removed_from_the_site_counts_as_no_choice(settings: Any) -> None:
    settings.LANGUAGES = [("en", "English"), ("es", "Español")]
    settings.LANGUAGE_CODE = "es"
    person = SimpleNamespace(language="fr")
    assert chosen_language(person) == ""
    assert language_of(person) == "es"


def test_no_choice_and_no_person_are_the_sites_language() -> None:
    assert language_of(SimpleNamespace(language="")) == "en"
    assert language_of(None) == "en"
    assert chosen_language(None) == ""
