"""Moments as the reader's language writes them, where a page needs the seconds (``SHORT_DATETIME_FORMAT``
stops at the minute): the language's short date, then the time to the second."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import date, time

register = template.Library()


@register.filter(expects_localtime=True)
def short_datetime_seconds(value: Any) -> str:
    """``value`` (a datetime) as the language's short date and ``H:i:s``; "" for nothing."""
    if not value:
        return ""
    return f"{date(value, 'SHORT_DATE_FORMAT')} {time(value, 'H:i:s')}"
