"""Quantities as the reader's locale writes them: ``1,234.5`` in English, ``1 234,5`` in French and Russian."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def grouped(value: Any) -> Any:
    """``value`` with the locale's decimal separator and thousands grouped. Grouping is asked for here, where
    a quantity is shown, not site-wide (USE_THOUSAND_SEPARATOR), which would also group ids and timestamps
    written into URLs and form values."""
    if value is None or value == "":
        return value
    return number_format(value, force_grouping=True)
