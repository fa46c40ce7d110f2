"""Quantities are shown as the reader's locale writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

QUANTITY = Template("{% load numbers %}{{ value|grouped }}")


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "1,234.5"), ("fr", "1\u202f234,5"), ("ru", "1\xa0234,5"), ("es", "1\xa0234,5")],
)
def test_a_quantity_is_grouped_and_uses_the_decimal_separator_of_the_language(language: str, shown: str) -> None:
    with translation.override(language):
        assert QUANTITY.render(Context({"value": Decimal("1234.5")})) == shown


def test_a_small_or_absent_quantity_is_left_as_it_is() -> None:
    with translation.override("fr"):
        assert QUANTITY.render(Context({"value": Decimal("12.5")})) == "12,5"
        assert QUANTITY.render(Context({"value": None})) == "None"
