"""Messages that show a number take the plural form of that number in the reader's language (``ngettext``):
Russian uses one form for 1, 21, 31…, another for 2-4, another for 5-20, so "1 reports" or "21 hours" built
with ``gettext`` reads wrong there."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.template import Context, Template
from django.utils import translation

from apps.core.api import request_too_large_message
from apps.jobs.services import _too_many_message, _waited_message
from apps.reports.attributes import validate_attributes

COUNTS = (1, 2, 5, 21)


def _in(language: str, message: Callable[[int], str]) -> list[str]:
    with translation.override(language):
        return [message(n) for n in COUNTS]


def test_the_job_that_waited_too_long_counts_its_hours_in_russian() -> None:
    shown = _in("ru", _waited_message)
    hours = ["1 часа", "2 часов", "5 часов", "21 часа"]  # after "более": 1 and 21 alike, 2 and 5 alike
    assert [f"более {text}" in message for text, message in zip(hours, shown, strict=True)] == [True] * 4


def test_the_request_size_limit_counts_its_bytes_in_russian_and_english() -> None:
    assert [text.split("в ", 1)[1] for text in _in("ru", request_too_large_message)] == [
        "1 байт.",
        "2 байта.",
        "5 байт.",
        "21 байт.",
    ]
    assert _in("en", request_too_large_message)[0].endswith("limit of 1 byte.")
    assert _in("en", request_too_large_message)[1].endswith("limit of 2 bytes.")


def test_every_form_of_a_counted_message_shows_its_number() -> None:
    # Russian form 0 serves 1 and 21: a form without the number would say "one" for 21.
    for language in ("en", "fr", "es", "ru"):
        for n, text in zip(COUNTS, _in(language, _too_many_message), strict=True):
            assert str(n) in text, (language, text)
    preview = Template(
        "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} report, the first of the file, as it will "
        "be stored.{% plural %}{{ counter }} reports, the first of the file, as they will be stored."
        "{% endblocktranslate %}"
    )
    for language in ("fr", "es", "ru"):
        with translation.override(language):
            shown = [preview.render(Context({"n": n})) for n in COUNTS]
        assert all(str(n) in text for n, text in zip(COUNTS, shown, strict=True)), shown
        assert "report" not in " ".join(shown)  # translated


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", ["Не более 1 символа.", "Не более 2 символов.", "Не более 5 символов.", "Не более 21 символа."]),  # noqa: RUF001
        ("en", ["Must be at most 1 character.", "Must be at most 2 characters."]),
    ],
)
def test_an_attribute_too_long_counts_its_characters(language: str, expected: list[str]) -> None:
    schema = {"type": "object", "properties": {f"a{n}": {"type": "string", "maxLength": n} for n in COUNTS}}
    data = {f"a{n}": "x" * (n + 1) for n in COUNTS}
    with translation.override(language):
        errors = validate_attributes(schema, data)
    assert [errors[f"a{n}"][0] for n in COUNTS][: len(expected)] == expected
