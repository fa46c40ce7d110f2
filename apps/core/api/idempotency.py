"""Idempotent POSTs: ``Idempotency-Key`` for viewset actions.

Decorate a viewset method with :func:`idempotent` (or mix :class:`IdempotentCreateMixin` into a
viewset) and a client may send ``Idempotency-Key: <up to 255 characters>``:

* the first request runs (its writes and the stored response commit together) and its response is
  kept for ``RILO_IDEMPOTENCY_TTL_HOURS``; a server error is not kept, so a retry runs again;
* a retry by the same account with the same key, method, path and body gets the stored response,
  with ``Idempotent-Replayed: true``;
* the same key with another body: 422 ``idempotency_key_reused``;
* the same key while the first request still runs: 409 ``idempotency_in_progress``.

Without the header the request runs as usual. The schema documents the header and the 409/422
answers of decorated operations (apps.core.api.schema).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseBase
from django.http.request import RawPostDataException
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ..models import IdempotencyRecord
from ..services import idempotency_claim, idempotency_complete, idempotency_release

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Response headers a replay repeats; others (dates, request ids) belong to the new exchange.
_KEPT_HEADERS = ("Content-Type", "Location", "ETag")

IDEMPOTENT_MARK = "_rilo_idempotent"

F = TypeVar("F", bound=Callable[..., Any])


class _NotKept(Exception):
    """A server error: roll back the view's writes and do not keep the response."""

    def __init__(self, response: HttpResponseBase) -> None:
        self.response = response


def _cipher(user_pk: Any, raw_key: str) -> Fernet:
    secret = hmac.new(
        settings.SECRET_KEY.encode(), f"idempotency\0{user_pk}\0{raw_key}".encode(), hashlib.sha256
    ).digest()
    return Fernet(base64.urlsafe_b64encode(secret))


def _key_digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8", "surrogateescape")).hexdigest()


def _body_hash(request: Any) -> str:
    try:
        body = request._request.body
    except RawPostDataException:
        # Something read the stream already; the parsed data is the next best identity of the body.
        body = json.dumps(request.data, sort_keys=True, default=str).encode()
    return hashlib.sha256(body).hexdigest()


def _raw_key(request: Any) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not 1 <= len(raw) <= MAX_KEY_LENGTH:
        raise ValidationError({HEADER: [gettext("Send between 1 and %(max)d characters.") % {"max": MAX_KEY_LENGTH}]})
    return str(raw)


def _content(response: HttpResponseBase) -> bytes:
    if isinstance(response, Response):
        if response.data is None:
            return b""
        return JSONRenderer().render(response.data)
    return cast(HttpResponse, response).content


def _keep(record: IdempotencyRecord, raw_key: str, request: Any, response: HttpResponseBase) -> None:
    headers = {name: response[name] for name in _KEPT_HEADERS if name in response}
    if isinstance(response, Response):
        # Not rendered yet, so its Content-Type is Django's default: the API renders JSON.
        headers["Content-Type"] = "application/json"
    body = _cipher(request.user.pk, raw_key).encrypt(_content(response)).decode()
    idempotency_complete(record=record, status=response.status_code, body=body, headers=headers)


def _replay(record: IdempotencyRecord, raw_key: str, request: Any) -> HttpResponse:
    content = _cipher(request.user.pk, raw_key).decrypt(record.response_body.encode())
    response = HttpResponse(content, status=record.response_status or 200)
    for name, value in record.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent(method: F) -> F:
    """Make a viewset method honour ``Idempotency-Key`` (see the module docstring)."""

    @functools.wraps(method)
    def wrapper(view: Any, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        raw_key = _raw_key(request)
        if raw_key is None or not request.user.is_authenticated:
            return cast(HttpResponseBase, method(view, request, *args, **kwargs))
        record, must_run = idempotency_claim(
            user=request.user,
            key=_key_digest(raw_key),
            method=request.method,
            path=request.get_full_path(),
            request_hash=_body_hash(request),
        )
        if not must_run:
            return _replay(record, raw_key, request)
        try:
            with transaction.atomic():
                response = method(view, request, *args, **kwargs)
                if response.status_code >= 500:
                    raise _NotKept(response)
                _keep(record, raw_key, request, response)
            return cast(HttpResponseBase, response)
        except _NotKept as not_kept:
            idempotency_release(record=record)
            return not_kept.response
        except Exception as exc:
            try:
                response = view.handle_exception(exc)
            except Exception:
                idempotency_release(record=record)
                raise
            if response.status_code >= 500:
                idempotency_release(record=record)
            else:
                _keep(record, raw_key, request, response)
            return cast(HttpResponseBase, response)

    setattr(wrapper, IDEMPOTENT_MARK, True)
    return cast(F, wrapper)


class IdempotentCreateMixin:
    """For a viewset with ``CreateModelMixin``: ``create`` honours ``Idempotency-Key``."""

    @idempotent
    def create(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return super().create(request, *args, **kwargs)  # type: ignore[misc,no-any-return]
