"""One rule for a number typed as text, read the same by the web form, the API and an upload's text cell, in
each of the four languages (apps.core.numbers)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext

from apps.core import numbers
from apps.core.forms import AnyLanguageDecimalField, AnyLanguageIntegerField
from apps.reports.choices import ReportStatus
from apps.reports.validation import Errors, clean_item
from apps.uploads import values
from tests.builders import build_report, complete_report, item_row
from tests.helpers import bearer

pytestmark = pytest.mark.django_db

AMBIGUOUS = object()  # the message of apps.core.numbers.AMBIGUOUS for what was typed
NO_NUMBER = "Enter a number."
NOT_WHOLE = "Enter a whole number."
LANGUAGES = ("en", "fr", "es", "ru")
NOT_ENGLISH = ("fr", "es", "ru")

# (typed, languages, what it is): a Decimal, or the start of the refusal's message.
DECIMALS: list[tuple[str, tuple[str, ...], Any]] = [
    ("1234.5", LANGUAGES, Decimal("1234.5")),
    ("1234,5", LANGUAGES, Decimal("1234.5")),
    ("12,5", LANGUAGES, Decimal("12.5")),
    ("0,125", LANGUAGES, Decimal("0.125")),  # no thousand starts with 0
    ("1234,567", LANGUAGES, Decimal("1234.567")),  # four digits before: the comma groups nothing
    ("1 234,5", LANGUAGES, Decimal("1234.5")),
    ("1\u00a0234,5", LANGUAGES, Decimal("1234.5")),
    ("1\u202f234 567,25", LANGUAGES, Decimal("1234567.25")),
    ("1,234,567", LANGUAGES, Decimal("1234567")),
    ("1.234.567", LANGUAGES, Decimal("1234567")),
    ("1.234,5", LANGUAGES, Decimal("1234.5")),
    ("1,234.5", LANGUAGES, Decimal("1234.5")),
    ("1.234", ("en",), Decimal("1.234")),
    ("1.234", NOT_ENGLISH, AMBIGUOUS),
    ("12.500", NOT_ENGLISH, AMBIGUOUS),
    ("1,234", LANGUAGES, AMBIGUOUS),
    ("12,500", LANGUAGES, AMBIGUOUS),
    ("1,23.4", LANGUAGES, AMBIGUOUS),
    ("1.234.5", LANGUAGES, NO_NUMBER),
    ("1 2,5", LANGUAGES, NO_NUMBER),
    ("12 kg", LANGUAGES, NO_NUMBER),
    ("NaN", LANGUAGES, NO_NUMBER),
    ("1e5", LANGUAGES, NO_NUMBER),
]

INTEGERS: list[tuple[str, tuple[str, ...], Any]] = [
    ("1234", LANGUAGES, 1234),
    ("1 234", LANGUAGES, 1234),
    ("1,234,567", LANGUAGES, 1234567),
    ("1.234.567", LANGUAGES, 1234567),
    ("12.0", LANGUAGES, 12),
    ("1,234", LANGUAGES, AMBIGUOUS),
    ("1.234", NOT_ENGLISH, AMBIGUOUS),
    ("1.234", ("en",), NOT_WHOLE),
    ("2,5", LANGUAGES, NOT_WHOLE),
    ("lots", LANGUAGES, NOT_WHOLE),
]


def _cases(table: list[tuple[str, tuple[str, ...], Any]]) -> list[Any]:
    return [
        pytest.param(typed, language, expected, id=f"{language}:{typed}")
        for typed, languages, expected in table
        for language in languages
    ]


def _form(field: Callable[..., Any]) -> Callable[[str], Any]:
    def read(typed: str) -> Any:
        try:
            return field(required=False).clean(typed)
        except ValidationError as error:
            return error.messages[0]

    return read


def _upload(name: str, convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """The shared validator as an upload's text cell reaches it: the cell converted first."""

    def read(typed: str) -> Any:
        errors = Errors()
        cleaned = clean_item({name: convert(typed)}, index=0, errors=errors)
        found = errors.paths.get(("items", 0, name))
        return found[0] if found else cleaned[name]

    return read


@pytest.fixture
def api_item(alice, issue_token, api) -> Callable[[str], Callable[[str], Any]]:
    """A reader sending the text as an item's field of a draft in a real API request (PATCH), in the language
    the test sets (Accept-Language); the number the report then holds, or the field's first error."""
    report = build_report(by=alice, status=ReportStatus.DRAFT, through_services=True, **complete_report())
    auth = bearer(issue_token(alice, "read", "write"))
    path = f"/api/v1/reports/{report.uuid}/"

    def reader(name: str) -> Callable[[str], Any]:
        def read(typed: str) -> Any:
            language = translation.get_language()
            body = {"items": [item_row(**{name: typed})]}
            response = api.patch(path, body, format="json", HTTP_ACCEPT_LANGUAGE=language, **auth)
            if response.status_code == 400:
                return response.json()["details"][f"items[0].{name}"][0]
            assert response.status_code == 200, response.json()
            found = response.json()["items"][0][name]
            return Decimal(found) if name == "quantity" else found

        return read

    return reader


API = object()  # the reader is the api_item fixture's, for the field
DECIMAL_READERS: dict[str, Any] = {
    "form": _form(AnyLanguageDecimalField),
    "api": API,
    "upload": _upload("quantity", values.decimal),
}
INTEGER_READERS: dict[str, Any] = {
    "form": _form(AnyLanguageIntegerField),
    "api": API,
    "upload": _upload("packages_count", values.integer),
}


def _reader(readers: dict[str, Any], way: str, name: str, request: pytest.FixtureRequest) -> Callable[[str], Any]:
    if readers[way] is API:
        return request.getfixturevalue("api_item")(name)
    return readers[way]


def _check(read: Callable[[str], Any], typed: str, language: str, expected: Any) -> None:
    with translation.override(language):
        found = read(typed)
        if expected is AMBIGUOUS:
            expected = str(numbers.AMBIGUOUS % {"value": typed})
        elif isinstance(expected, str):
            expected = gettext(expected)
    assert found == expected and type(found) is type(expected)


@pytest.mark.parametrize("way", DECIMAL_READERS)
@pytest.mark.parametrize(("typed", "language", "expected"), _cases(DECIMALS))
def test_a_decimal_is_read_the_same_by_the_form_the_api_and_an_upload(way, typed, language, expected, request):
    _check(_reader(DECIMAL_READERS, way, "quantity", request), typed, language, expected)


@pytest.mark.parametrize("way", INTEGER_READERS)
@pytest.mark.parametrize(("typed", "language", "expected"), _cases(INTEGERS))
def test_a_whole_number_is_read_the_same_by_the_form_the_api_and_an_upload(way, typed, language, expected, request):
    _check(_reader(INTEGER_READERS, way, "packages_count", request), typed, language, expected)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("“1,234” is ambiguous", "1234.5 or 1234,5", "1 234,5")),
        ("fr", ("« 1,234 » est ambigu", "1234.5 ou 1234,5", "1 234,5")),
        ("es", ("«1,234» es ambiguo", "1234.5 o 1234,5", "1 234,5")),
        ("ru", ("«1,234» неоднозначно", "1234.5 или 1234,5", "1 234,5")),
    ],
)
def test_an_ambiguous_number_is_refused_with_how_to_write_it_in_the_readers_language(language, words):
    with translation.override(language), pytest.raises(ValidationError) as excinfo:
        AnyLanguageDecimalField(required=False).clean("1,234")
    (message,) = excinfo.value.messages
    for word in words:
        assert word in message, message


def test_an_excel_number_cell_stays_the_number_it_holds():
    # "1.234" typed in a French sheet's numeric cell is the number Excel stored: no separator to guess.
    with translation.override("fr"):
        assert values.decimal(values.ExcelNumber("1.234")) == Decimal("1.234")
        assert values.integer(values.ExcelNumber("1234")) == 1234
