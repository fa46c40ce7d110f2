"""OpenAPI generation: every operation documents its error answers in the one error shape.

:class:`RiloAutoSchema` (the DEFAULT_SCHEMA_CLASS) adds to each operation the error responses
it can give (``ErrorSerializer`` bodies), the ``WWW-Authenticate``/``Retry-After`` headers, and
for operations marked by :func:`apps.core.api.idempotency.idempotent` or
:func:`apps.core.api.conditional.with_etag` their headers and 304/409/422 answers. Views document
only their success responses and any business error they add (e.g. a 409 conflict).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.permissions import AllowAny

from . import ErrorSerializer
from .conditional import ETAG_MARK
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import IDEMPOTENT_MARK, MAX_KEY_LENGTH, REPLAYED_HEADER

ERROR_DESCRIPTIONS: dict[str, str] = {
    "400": "Invalid request: `details` names each field at fault.",
    "401": "No credentials, or a token that is invalid, expired or revoked.",
    "403": "Authenticated, but the account or token (scope) may not do this.",
    "404": "No such object (or not one the caller may see), or no such page.",
    "406": "The Accept header asks for a format the API does not produce (it produces JSON).",
    "409": "Conflict with the object's current state, or the same Idempotency-Key is in progress.",
    "413": "The request body is larger than the limit (1 MB by default).",
    "415": "Unsupported Content-Type: send application/json.",
    "422": "The Idempotency-Key was already used for a different request.",
    "429": "Too many requests for this account; retry after `Retry-After` seconds.",
}


def error_response(code: str, description: str | None = None) -> OpenApiResponse:
    """An error response for ``@extend_schema(responses={...})`` in views."""
    return OpenApiResponse(ErrorSerializer, description=description or ERROR_DESCRIPTIONS.get(code, "Error."))


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class RiloAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the API's standard error responses and headers."""

    def _handler(self) -> Any:
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _marked(self, mark: str) -> bool:
        return bool(getattr(self._handler(), mark, False))

    def _requires_auth(self) -> bool:
        return not any(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def _success_codes(self) -> list[str]:
        if self.method == "DELETE":
            return ["204"]
        return ["201"] if self._is_create_operation() else ["200"]

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._requires_auth():
            parameters.append(
                OpenApiParameter(
                    "WWW-Authenticate",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    response=["401"],
                    description="The Bearer challenge, with the reason a token was refused.",
                )
            )
        parameters.append(
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=["429"],
                description="Seconds to wait before the next request.",
            )
        )
        if self._marked(IDEMPOTENT_MARK):
            parameters += [
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
                    OpenApiParameter.HEADER,
                    required=False,
                    description=(
                        "A unique key per intended operation (e.g. a UUID). A retry with the same key and body "
                        "returns the first response instead of repeating the operation; kept 24 hours."
                    ),
                ),
                OpenApiParameter(
                    REPLAYED_HEADER,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    response=[*self._success_codes(), "400"],
                    description="'true' when the response is the stored answer to an earlier request with this key.",
                ),
            ]
        if self._marked(ETAG_MARK):
            parameters += [
                OpenApiParameter(
                    "If-None-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="The ETag of the copy the client has; 304 when it is current.",
                ),
                OpenApiParameter(
                    "ETag",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    response=["200", "304"],
                    description="Version of the representation, for If-None-Match.",
                ),
            ]
        return parameters

    def _error_codes(self) -> list[str]:
        has_body = self.method in _BODY_METHODS
        has_path_parameters = "{" in self.path
        has_query_parameters = any(parameter["in"] == "query" for parameter in self._get_parameters())
        codes = ["406", "429"]
        if has_body or has_query_parameters:
            codes.append("400")
        if self._requires_auth():
            codes += ["401", "403"]
        if has_path_parameters or self._is_list_view():
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        if self._marked(IDEMPOTENT_MARK):
            codes += ["409", "422"]
        return sorted(codes)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = dict(super()._get_response_bodies(direction))
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(error_response(code), code, direction=direction)
        if self._marked(ETAG_MARK) and "304" not in responses:
            responses["304"] = {
                "description": "Not modified: the ETag in If-None-Match is current.",
                "headers": self._get_response_headers_for_code("304", direction),
            }
        return dict(sorted(responses.items()))
