"""Numbers in an upload: "1.234" is read in its sender's language (refused where a point groups thousands), and
what no quantity comes near — a thousand digits, 1E999999999, NaN written in a workbook's XML — is refused at its
cell at once, never turned into a number (Python's big-integer conversion costs seconds to minutes)."""

from __future__ import annotations

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


@pytest.mark.parametrize(("language", "refused"), [("fr", True), ("es", True), ("ru", True), ("en", False)])
def test_one_group_after_a_point_is_read_in_the_senders_language(alice: Any, language: str, refused: bool) -> None:
    alice.language = language
    alice.save(update_fields=["language"])
    upload = send(alice, csv_bytes(csv_row("UP-POINT", quantity="1.234")))
    assert upload_check(upload_id=upload.pk) == "checked"
    problems = UploadProblem.objects.filter(upload=upload, kind=ProblemKind.ERROR, message__contains="1.234")
    # Refused where the sender's language groups thousands with a point; the decimal it looks like in English.
    assert problems.exists() is refused, list(problems.values_list("message", flat=True))


@pytest.mark.parametrize("typed", ["9" * 2_000_000, "1" + "0" * 60, "1" * 41])
def test_a_number_longer_than_any_quantity_is_refused_at_once(typed: str) -> None:
    # Refused by its length, before any conversion (int() of two million digits takes minutes).
    with pytest.raises(numbers.NumberError):
        numbers.parse_integer(typed)
    assert values.integer(typed) == typed  # handed to the validator as typed: it says how to write it


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
