"""A JSON renderer for large responses: the same JSON as DRF's, written by orjson (several times faster)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder().default  # what orjson does not know (decimals, lazy strings...), as DRF writes it


class FastJSONRenderer(JSONRenderer):
    """For views whose answers are large (a page of reports): compact UTF-8 JSON, as DRF's renderer writes it."""

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_fallback)
