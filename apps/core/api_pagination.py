"""The two pagination styles of the API.

* :class:`StandardPageNumberPagination` (``?page=2&page_size=100``) for small, stable lists such
  as vocabularies, where a client wants a total count and random access.
* :class:`StableCursorPagination` (``?cursor=...``) for large or growing lists (reports, feeds):
  opaque cursors over a unique, immutable ordering key, so pages never skip or repeat rows while
  new rows arrive. Views set ``ordering`` to such a key (default: primary key).
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


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
        raise ValidationError({param: ["Enter a whole number of at least 1."]})
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
