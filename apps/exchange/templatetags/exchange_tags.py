"""Template filters of the exchange pages: durations in words people read at a glance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


def _text(seconds: float) -> str:
    # The short unit symbols are marked: some languages write them differently (Russian among them).
    if seconds < 1:
        return _("%(value)s ms") % {"value": f"{seconds * 1000:.0f}"}
    if seconds < 60:
        return _("%(value)s s") % {"value": number_format(seconds, 1 if seconds < 10 else 0)}
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        if secs and minutes < 10:
            return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": secs}
        return _("%(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes:
            return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)s h") % {"hours": hours}
    days, hours = divmod(hours, 24)
    if hours:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    return _("%(days)s d") % {"days": days}


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
