"""Template filters of the exchange pages: durations in words people read at a glance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

register = template.Library()


def _text(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs and minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@register.filter
def timedelta_text(value: dt.timedelta | None) -> str:
    """``3 min 5 s``, ``2 h 10 min``, ``4 d 3 h``; a dash for nothing."""
    if value is None:
        return "—"
    return _text(max(0.0, value.total_seconds()))


@register.filter
def seconds_text(value: float | None) -> str:
    """A number of seconds as :func:`timedelta_text` says it."""
    if value is None:
        return "—"
    return _text(max(0.0, float(value)))


@register.filter
def milliseconds_text(value: float | None) -> str:
    """A number of milliseconds as :func:`timedelta_text` says it."""
    if value is None:
        return "—"
    return _text(max(0.0, float(value)) / 1000)


@register.filter
def field_named(form: Any, name: str) -> Any:
    """The bound field ``name`` of ``form`` (for fields added at run time)."""
    return form[name]
