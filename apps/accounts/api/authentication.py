"""``Authorization: Bearer <API token>`` for the REST API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from apps.core.api import BEARER_CHALLENGE

from ..models import ApiToken, User
from ..services import TokenRejected, token_authenticate


class BearerTokenFailed(exceptions.AuthenticationFailed):
    """401 with the reason in the body and in ``WWW-Authenticate`` (RFC 6750 ``invalid_token``)."""

    def __init__(self, rejected: TokenRejected) -> None:
        super().__init__(rejected.message, code=rejected.code)
        self.error_details = rejected.extra
        description = rejected.message.replace('"', "'")
        self.bearer_error = f'error="invalid_token", error_description="{description}"'


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticates ``Authorization: Bearer rilo_<prefix>_<secret>``; ``request.auth`` is the :class:`ApiToken`.

    Without a Bearer header it steps aside (session authentication may follow); with one, an
    expired, revoked or unknown token is a 401 saying which.
    """

    keyword = b"bearer"

    def authenticate(self, request: Any) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise BearerTokenFailed(TokenRejected("token invalid: send 'Authorization: Bearer <token>'"))
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise BearerTokenFailed(TokenRejected("token invalid")) from None
        try:
            token = token_authenticate(plaintext=plaintext)
        except TokenRejected as rejected:
            raise BearerTokenFailed(rejected) from None
        user = token.user
        user.authenticated_token = token  # what the audit of a personal-data read names
        return user, token

    def authenticate_header(self, request: Any) -> str:
        return BEARER_CHALLENGE


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents :class:`ApiTokenAuthentication` as the ``bearerAuth`` security scheme."""

    target_class = "apps.accounts.api.authentication.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "rilo_<prefix>_<secret>",
            "description": "An API token, issued by its holder from a two-factor-verified session, or for a "
            "partner-system account by the coordinator or RILO administrator who manages it (Accounts → API tokens).",
        }
