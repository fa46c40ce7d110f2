"""The template's read-me says in which languages a code's label or a country's name may be typed: the site's
languages (``settings.LANGUAGES``), named in the reader's language, so a language added there is named too."""

from __future__ import annotations

import io

import pytest
from django.test import override_settings
from django.utils import translation
from openpyxl import load_workbook

from apps.reports import catalogue
from apps.reports.forms.fields import form_field
from apps.uploads.blank_files import template_xlsx

pytestmark = pytest.mark.django_db


def _read_me(language: str) -> str:
    with translation.override(language):
        book = load_workbook(io.BytesIO(template_xlsx(variant="full")))
    cells = book.worksheets[0].iter_rows(values_only=True)
    return "\n".join(str(value) for row in cells for value in row if isinstance(value, str))


def test_the_read_me_names_the_sites_languages_in_the_readers_language() -> None:
    text = _read_me("fr")
    assert "(dans l'une de ces langues : anglais, français, espagnol, russe)" in text
    assert "English" not in text and "quatre langues" not in text


def test_a_language_added_to_the_site_is_named_in_the_read_me() -> None:
    languages = [("en", "English"), ("fr", "Français"), ("es", "Español"), ("ru", "Русский"), ("de", "Deutsch")]
    with override_settings(LANGUAGES=languages):
        text = _read_me("es")
    assert "inglés, francés, español, ruso, alemán" in text


def test_the_report_forms_country_hint_names_the_languages_in_the_pages_language() -> None:
    countries = [
        declared for part in catalogue.PARTS for declared in catalogue.fields(part) if declared.kind == "country"
    ]
    fields = [form_field(declared) for declared in countries]
    with translation.override("en"):
        hinted = [field for field in fields if str(field.help_text).startswith("ISO code, or the name in one of")]
    assert hinted
    with translation.override("ru"):
        assert "английский, французский, испанский, русский" in str(hinted[0].help_text)
    with translation.override("en"):
        assert "English, French, Spanish, Russian" in str(hinted[0].help_text)
