"""Numbers in an upload: "1.234" is refused whoever sends the file (a file is written in no one's language), and
what no quantity comes near — a thousand digits, 1E999999999, NaN written in a workbook's XML — is refused at its
cell at once, never turned into a number (Python's big-integer conversion costs seconds to minutes)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from apps.core import numbers
from apps.uploads import values
from apps.uploads.choices import ProblemKind
from apps.uploads.models import UploadProblem
from apps.uploads.services import upload_check
from tests.builders import vocabulary

from .engine import csv_bytes, csv_row, send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_root(settings: Any, tmp_path: Any) -> None:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()


def test_one_group_after_a_point_is_refused_in_an_english_senders_file(alice: Any) -> None:
    alice.language = "en"
    alice.save(update_fields=["language"])
    upload = send(alice, csv_bytes(csv_row("UP-POINT", quantity="1.234")))
    assert upload_check(upload_id=upload.pk) == "checked"
    messages = list(
        UploadProblem.objects.filter(upload=upload, kind=ProblemKind.ERROR).values_list("message", flat=True)
    )
    assert any("“1.234” is ambiguous" in message for message in messages), messages
    # Typed by an English-speaking person in a form, it is the decimal it looks like.
    with translation.override("en"):
        assert numbers.parse_decimal("1.234") == Decimal("1.234")


@pytest.mark.parametrize("typed", ["9" * 2_000_000, "1" + "0" * 60, "1" * 41])
def test_a_number_longer_than_any_quantity_is_refused_at_once(typed: str) -> None:
    started = time.perf_counter()
    with pytest.raises(numbers.NumberError):
        numbers.parse_integer(typed)
    assert values.integer(typed) == typed  # handed to the validator as typed: it says how to write it
    assert time.perf_counter() - started < 5  # minutes before the limit; a loose bound, not a benchmark


@pytest.mark.parametrize("written", ["1E999999999", "-1E999999999", "Infinity", "NaN", "sNaN", "1E18"])
def test_a_workbook_number_no_quantity_reaches_stays_text(written: str) -> None:
    cell = values.ExcelNumber(written)
    assert values.decimal(cell) == written
    assert isinstance(values.integer(cell), str)  # as the cell shows it, never int() of it
    assert isinstance(values.date(cell), str)
    assert values.decimal(values.ExcelNumber("1E17")) == Decimal("1E17")  # below the bound: the number it is


@pytest.mark.parametrize(
    "typed",
    ["\uff11,\uff12\uff13\uff14", "\u0661,\u0662\u0663\u0664", "\uff11\uff12\uff13\uff14", "01,234"],
    ids=["full-width", "arabic-indic", "full-width-plain", "leading-zero"],
)
def test_only_ascii_digits_are_read_and_a_leading_zero_is_no_escape(typed: str) -> None:
    for language in ("en", "fr"):
        with translation.override(language), pytest.raises(numbers.NumberError):
            numbers.parse_decimal(typed)
    with translation.override("fr"):
        assert numbers.parse_decimal("0,125") == Decimal("0.125")
