"""The two pagination styles of the API.

* :class:`StandardPageNumberPagination` (``?page=2&page_size=100``) for small, stable lists such
  as vocabularies, where a client wants a total count and random access.
* :class:`StableCursorPagination` (``?cursor=...``) for large or growing lists (reports, feeds):
  opaque cursors over a unique, immutable ordering key, so pages never skip or repeat rows while
  new rows arrive. Views set ``ordering`` to such a key (default: primary key).
* :class:`KeysetCursorPagination`, the same for an ordering on a non-unique field (a date) made
  unique by the primary key: the cursor holds the whole key.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination

from apps.core.keyset import Keyset


def strict_page_size(request: Any, param: str, default: int, maximum: int) -> int:
    """The requested page size, capped at ``maximum``; a value that is not a positive integer is a 400."""
    raw = request.query_params.get(param)
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1 or str(size) != raw.strip():
        raise ValidationError({param: [gettext("Enter a whole number of at least 1.")]})
    return min(size, maximum)


def _documented(parameters: list[dict[str, Any]], page_size_param: str) -> list[dict[str, Any]]:
    """Say in the schema what :func:`strict_page_size` enforces."""
    for parameter in parameters:
        if parameter.get("name") == page_size_param:
            parameter["schema"] = {**parameter.get("schema", {}), "minimum": 1}
    return parameters


class StandardPageNumberPagination(PageNumberPagination):
    """Numbered pages with a total count: ``{"count", "next", "previous", "results"}``."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Any) -> int:
        return strict_page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        """The page asked for; an empty ``page=`` is no page number, refused (404) as ``page=x`` is, where DRF
        would read it as the first page."""
        if request.query_params.get(self.page_query_param) == "":
            return ""
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return _documented(super().get_schema_operation_parameters(view), self.page_size_query_param)


class StableCursorPagination(CursorPagination):
    """Cursor pages over a unique, never-changing key: ``{"next", "previous", "results"}``.

    A view names its key in ``cursor_ordering`` (e.g. ``"-pk"``, ``"feed_seq"``); default ``"pk"``.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "pk"

    def get_page_size(self, request: Any) -> int:
        return strict_page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return _documented(super().get_schema_operation_parameters(view), self.page_size_query_param)

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        ordering = getattr(view, "cursor_ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)


class KeysetCursorPagination(StableCursorPagination):
    """Cursor pages over a composite key such as ``("-seizure_date", "-pk")``.

    The cursor holds the whole key of the row it stops at, so pages never skip or repeat rows,
    however many rows share a date and whatever is inserted meanwhile, and the database seeks to
    the key through an index instead of counting an offset. The ordering comes from
    ``view.cursor_ordering`` (it may be a property that reads the request); its last field must be
    unique. Nullable fields sort last in both directions. No total count is ever computed. The key and its
    SQL are :class:`apps.core.keyset.Keyset`'s, which the web lists use too.
    """

    ordering: Any
    keyset: Keyset

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        return Keyset(queryset.model, super().get_ordering(request, queryset, view)).ordering

    def _get_position_from_instance(self, instance: Any, ordering: Any) -> str:
        """The row's key, from a model instance or a row of ``values()``."""
        return json.dumps(self.keyset.key_of(instance), separators=(",", ":"))

    def _decode_key(self, position: str) -> list[Any]:
        try:
            return self.keyset.parse(json.loads(position))
        except (ValueError, RecursionError):  # RecursionError: deeply nested
            raise NotFound(self.invalid_cursor_message) from None

    # --- the page -----------------------------------------------------------------------------

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        position: Any = None if self.cursor is None else self.cursor.position  # our cursors hold keys, not ints
        reverse = False if self.cursor is None else self.cursor.reverse
        keyset = self.keyset = Keyset(queryset.model, self.ordering)
        queryset = queryset.order_by(*keyset.order_by(reverse=reverse))
        if position is not None:
            queryset = queryset.filter(keyset.after(self._decode_key(position), reverse=reverse))
        results = list(queryset[: self.page_size + 1])
        self.page = results[: self.page_size]
        following = (
            self._get_position_from_instance(results[-1], self.ordering) if len(results) > len(self.page) else None
        )
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = position is not None, following is not None
            self.next_position, self.previous_position = position, following
        else:
            self.has_next, self.has_previous = following is not None, position is not None
            self.next_position, self.previous_position = following, position
        return self.page

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        position: Any = (
            self._get_position_from_instance(self.page[-1], self.ordering) if self.page else self.next_position
        )
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=position))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        position: Any = (
            self._get_position_from_instance(self.page[0], self.ordering) if self.page else self.previous_position
        )
        return self.encode_cursor(Cursor(offset=0, reverse=True, position=position))
