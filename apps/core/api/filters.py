"""Query filters shared by API list views."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

UPDATED_SINCE = "updated_since"
# RFC 3339 date-time, the OpenAPI "date-time" format.
_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$",
)


def parse_updated_since(request: Any, param: str = UPDATED_SINCE) -> datetime | None:
    """The ``updated_since`` query parameter as an aware datetime (UTC when no offset), or None; bad input is a 400."""
    raw = request.query_params.get(param)
    if raw is None or raw == "":
        return None
    match = _RFC3339.match(raw.strip())
    value = None
    if match:
        day, hour_minute, second, fraction, offset = match.groups()
        # A leap second (":60") names the last instant of its minute.
        second = min(int(second), 59)
        offset = "+00:00" if offset in (None, "Z", "z") else offset
        try:
            value = datetime.fromisoformat(f"{day}T{hour_minute}:{second:02d}{(fraction or '')[:7]}{offset}")
        except ValueError:
            value = None
    if value is None:
        raise ValidationError({param: [gettext("Enter a date and time in ISO 8601 form, e.g. 2025-01-31T12:00:00Z.")]})
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def filter_updated_since(queryset: QuerySet[Any], request: Any, *, field: str = "updated_at") -> QuerySet[Any]:
    """Rows changed at or after ``?updated_since=``; the whole queryset when the parameter is absent."""
    since = parse_updated_since(request)
    return queryset if since is None else queryset.filter(**{f"{field}__gte": since})


class UpdatedSinceFilterBackend(BaseFilterBackend):
    """``?updated_since=<date-time>`` for views that name their timestamp in ``updated_since_field``."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        field = getattr(view, "updated_since_field", None)
        return filter_updated_since(queryset, request, field=field) if field else queryset

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        if not getattr(view, "updated_since_field", None):
            return []
        return [
            {
                "name": UPDATED_SINCE,
                "in": "query",
                "required": False,
                "description": "Only rows changed at or after this date and time (ISO 8601, UTC when no offset).",
                "schema": {"type": "string", "format": "date-time"},
            }
        ]
