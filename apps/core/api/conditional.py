"""Conditional GETs: ``ETag`` on detail responses and ``If-None-Match`` → 304 Not Modified.

``conditional_response(request, data)`` hashes the representation (or takes a cheaper ETag the
caller knows, e.g. ``"<uuid>-v<version>"`` for a versioned report); :class:`ETagRetrieveMixin`
applies it to a viewset's ``retrieve``. The schema documents the header and the 304 answer of
marked operations (apps.core.api.schema).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

ETAG_MARK = "_rilo_etag"

F = TypeVar("F", bound=Callable[..., Any])


def etag_for(data: Any) -> str:
    """A strong ETag: the SHA-256 of the JSON representation."""
    return '"' + hashlib.sha256(JSONRenderer().render(data)).hexdigest()[:40] + '"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def etag_matches(request: Any, etag: str) -> bool:
    """True when ``If-None-Match`` lists ``etag`` (weak comparison, RFC 9110 13.1.2) or is ``*``."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    candidates = [part.strip() for part in header.split(",")]
    return "*" in candidates or _opaque(etag) in {_opaque(tag) for tag in candidates}


def conditional_response(request: Any, data: Any, *, etag: str | None = None) -> Response:
    """200 with ``ETag``, or an empty 304 when the client's copy is current."""
    etag = etag or etag_for(data)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if etag_matches(request, etag):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(data, headers=headers)


def with_etag(method: F) -> F:
    """Mark a view method as answering conditional GETs, for the schema."""
    setattr(method, ETAG_MARK, True)
    return method


class ETagRetrieveMixin:
    """``retrieve`` answers with an ETag and honours ``If-None-Match``. Override :meth:`get_etag` for a cheaper tag."""

    def get_etag(self, instance: Any, data: Any) -> str:
        return etag_for(data)

    @with_etag
    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]
        data = self.get_serializer(instance).data  # type: ignore[attr-defined]
        return conditional_response(request, data, etag=self.get_etag(instance, data))
