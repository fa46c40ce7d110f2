"""Request parsers that refuse oversized bodies with 413 instead of reading them whole."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from . import RequestTooLarge, request_too_large_message


class LimitedJSONParser(JSONParser):
    """JSON bodies up to ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes; larger ones are a 413, malformed ones a 400.

    Django enforces that limit only when ``request.body`` is read; DRF streams the body to the
    parser, so the limit is enforced here too (a chunked body has no Content-Length to check).
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(request_too_large_message(limit))
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(gettext("not text in %(encoding)s") % {"encoding": encoding}) from exc
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except _Constant as exc:
            message = gettext("malformed JSON (%(name)s is not a JSON value)") % {"name": exc.name}
            raise ParseError(message) from exc
        except json.JSONDecodeError as exc:
            # Where the parser stopped, in the reader's language (Python's own message is English only).
            message = gettext("malformed JSON (line %(line)d, column %(column)d)") % {
                "line": exc.lineno,
                "column": exc.colno,
            }
            raise ParseError(message) from exc
        except ValueError as exc:  # such as an integer of more digits than Python converts
            raise ParseError(gettext("malformed JSON")) from exc
        except RecursionError as exc:
            # Python's json recurses once per nested array or object: a deep body must not be a 500.
            raise ParseError(gettext("malformed JSON (nested too deeply)")) from exc


class _Constant(ValueError):
    """NaN or Infinity: Python's json reads them, JSON has none."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _reject_constant(name: str) -> Any:
    raise _Constant(name)
