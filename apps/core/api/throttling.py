"""Rate limits per account (authenticated) and per client address (anonymous), counted in Redis.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``RILO_API_RATE_ACCOUNT``,
``RILO_API_RATE_ANONYMOUS``) and are read on each request, so a settings override applies at once.
A refused request answers 429 with a ``Retry-After`` header (see apps.core.api.exception_handler).
"""

from __future__ import annotations

from typing import Any, cast

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from ..client_address import client_address


class AccountRateThrottle(UserRateThrottle):
    """Requests per account, whatever token or session the account uses."""

    scope = "account"

    def get_rate(self) -> str | None:
        return cast(str | None, api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonymousRateThrottle(AnonRateThrottle):
    """Requests per client address for callers without credentials (the schema, the docs, 401s)."""

    scope = "anonymous"

    def get_rate(self) -> str | None:
        return cast(str | None, api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))

    def get_ident(self, request: Any) -> str:
        """The client's address as the lockout sees it (behind ``RILO_TRUSTED_PROXY_COUNT`` proxies)."""
        return client_address(request)
