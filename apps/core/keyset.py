"""Keyset pagination: pages that seek to a row's key through an index instead of counting an offset.

:class:`Keyset` is an ordering made unique by the primary key, with the SQL to order by it (either
way) and to seek past a row's key; the API's cursor pages (:mod:`apps.core.api.pagination`) and the
web lists (:func:`keyset_page`) share it. A deep page costs what the first one does, pages never skip
or repeat rows however many share a date, and rows inserted meanwhile do not shift them.
:func:`bounded_count` counts a list up to a limit only, so that the count never costs more than a page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Model, OrderBy, Q, QuerySet


def _json_value(value: Any) -> Any:
    """A key value as JSON: dates and times in full ISO form (microseconds kept), decimals and uuids as strings."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


class Keyset:
    """An ordering such as ``("-seizure_date", "-pk")`` over ``model``; the primary key is appended when the
    ordering does not end with it (in the first field's direction, so that one b-tree index on the fields and
    the key serves both directions). Nullable fields sort last in the declared order."""

    def __init__(self, model: type[Model], ordering: Sequence[str]) -> None:
        ordering = tuple(ordering)
        if not ordering or ordering[-1].lstrip("-") not in ("pk", model._meta.pk.name):
            first = ordering[0] if ordering else "pk"
            ordering = (*ordering, "-pk" if first.startswith("-") else "pk")
        self.model = model
        self.ordering = ordering

    def field(self, name: str) -> Any:
        name = name.lstrip("-")
        return self.model._meta.pk if name == "pk" else self.model._meta.get_field(name)

    def order_by(self, *, reverse: bool = False) -> list[OrderBy]:
        """The ORDER BY of the ordering, or of its reverse (to walk backwards from a key)."""
        expressions = []
        for name in self.ordering:
            descending = name.startswith("-") != reverse
            expression = F(name.lstrip("-"))
            if not self.field(name).null:
                # Without NULLS FIRST/LAST, so that a plain b-tree index serves both directions.
                expressions.append(expression.desc() if descending else expression.asc())
            else:  # nulls last in the declared order, so first when it is walked backwards
                nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
                expressions.append(expression.desc(**nulls) if descending else expression.asc(**nulls))
        return expressions

    def after(self, key: Sequence[Any], *, reverse: bool = False) -> Q:
        """Rows strictly after ``key`` in the ordering (before it, when ``reverse``)."""
        condition = Q(pk__in=[])
        equal_so_far = Q()
        for name, value in zip(self.ordering, key, strict=True):
            attname = name.lstrip("-")
            if attname == "pk":
                attname = self.model._meta.pk.attname
            descending = name.startswith("-") != reverse
            nulls_last = not reverse
            nullable = self.field(name).null
            if value is None:
                beyond = Q(**{f"{attname}__isnull": False}) if not nulls_last else Q(pk__in=[])
                same = Q(**{f"{attname}__isnull": True})
            else:
                beyond = Q(**{f"{attname}__{'lt' if descending else 'gt'}": value})
                if nullable and nulls_last:
                    beyond |= Q(**{f"{attname}__isnull": True})
                same = Q(**{attname: value})
            condition |= equal_so_far & beyond
            equal_so_far &= same
        first = self.ordering[0].lstrip("-")
        if key[0] is not None and not self.field(first).null:
            # Redundant with the above, but a plain range the database can seek an index to.
            descending = self.ordering[0].startswith("-") != reverse
            condition &= Q(**{f"{first}__{'lte' if descending else 'gte'}": key[0]})
        return condition

    def key_of(self, row: Any) -> list[Any]:
        """The key of a model instance or of a row of ``values()``, as JSON values."""
        values = []
        for name in self.ordering:
            attname = self.field(name).attname
            values.append(_json_value(row[attname] if isinstance(row, dict) else getattr(row, attname)))
        return values

    def parse(self, raw: Any) -> list[Any]:
        """A key read back from JSON (see :meth:`key_of`); ValueError when it is not one of this ordering's."""
        if not isinstance(raw, list) or len(raw) != len(self.ordering) or not all(map(_plain, raw)):
            raise ValueError("Not a key of this ordering.")
        try:
            return [
                None if value is None else self.field(name).to_python(value)
                for name, value in zip(self.ordering, raw, strict=True)
            ]
        except (TypeError, ValidationError, OverflowError) as error:
            raise ValueError("Not a key of this ordering.") from error


def _plain(value: Any) -> bool:
    """Whether a key's JSON value is one :meth:`Keyset.key_of` could have written: null, a finite number, or text
    the database can hold (JSON also reads ``Infinity``, ``NaN``, ``1e400`` and NUL characters)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return "\x00" not in value
    return value is None or isinstance(value, int)


# --- web pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeysetPage:
    """One page of a keyset-paginated list: its rows, and the cursors of the pages beside it (None at an end)."""

    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None
    first: bool  # no cursor was given: the list's first page


def _encode(direction: str, key: list[Any]) -> str:
    text = json.dumps([direction, key], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(keyset: Keyset, cursor: str) -> tuple[bool, list[Any]]:
    """``(backwards, key)`` of a cursor made by :func:`keyset_page` for this ordering; ValueError otherwise."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        direction, key = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, TypeError, RecursionError, ValueError) as error:
        raise ValueError("Not a cursor.") from error
    if direction not in ("n", "p"):
        raise ValueError("Not a cursor.")
    return direction == "p", keyset.parse(key)


def keyset_page(queryset: QuerySet[Any], *, keyset: Keyset, cursor: str = "", size: int) -> KeysetPage:
    """The page of ``queryset`` (ordered by ``keyset``) that ``cursor`` points to, the first without one: one
    query of ``size + 1`` rows whatever the page's depth. ValueError for a cursor that is not one."""
    backwards, key = decode_cursor(keyset, cursor) if cursor else (False, None)
    rows = queryset.order_by(*keyset.order_by(reverse=backwards))
    if key is not None:
        rows = rows.filter(keyset.after(key, reverse=backwards))
    found = list(rows[: size + 1])
    page, beyond = found[:size], len(found) > size
    if backwards:
        page.reverse()
    has_next = beyond if not backwards else True
    has_previous = key is not None if not backwards else beyond
    return KeysetPage(
        rows=page,
        next_cursor=_encode("n", keyset.key_of(page[-1])) if has_next and page else None,
        previous_cursor=_encode("p", keyset.key_of(page[0])) if has_previous and page else None,
        first=key is None,
    )


def bounded_count(queryset: QuerySet[Any], *, limit: int) -> tuple[int, bool]:
    """``(count, exact)``: the rows of ``queryset`` if there are at most ``limit``, else ``(limit, False)``.

    Counts at most ``limit + 1`` rows (one query), so that a list of 100,000 rows is not read to say so.
    """
    found = queryset.order_by().values("pk")[: limit + 1].count()
    return (found, True) if found <= limit else (limit, False)
