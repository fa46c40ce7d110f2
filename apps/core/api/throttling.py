"""Rate limits per account (authenticated) and per client address (anonymous), counted in Redis.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``RILO_API_RATE_ACCOUNT``,
``RILO_API_RATE_ANONYMOUS``) and are read on each request, so a settings override applies at once.
A refused request answers 429 with a ``Retry-After`` header (see apps.core.api.exception_handler).

The count is GCRA (the generic cell rate algorithm, a leaky bucket kept as one timestamp): a rate of
``N/period`` lets a burst of ``N`` requests through, then one every ``period / N``. Each identity has one
Redis key in the Redis of Django's cache (``CACHES["default"]``) holding its "theoretical arrival time";
a small Lua script reads it, decides and moves it, atomically, in one round trip (``EVALSHA``) per
request, on Redis's own clock (every process agrees). Concurrent requests of one account (threads and
processes of gunicorn) cannot overwrite each other's count: of a burst, exactly ``N`` pass. A refused
request is not counted, and ``Retry-After`` is the time until the next one is accepted (at most
``period / N`` after a burst).

Redis unreachable: the error propagates and the request fails (500), as it did with DRF's cache-based
throttles. The limit is never silently lifted.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

import redis
from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from ..client_address import client_address

# KEYS[1]: the identity's key. ARGV[1]: requests per period; ARGV[2]: the period in microseconds.
# Returns {accepted (0/1), microseconds until a request would be accepted}.
_SCRIPT = """
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next_tat = tat + period / limit
local allowed_at = next_tat - period
if now < allowed_at then
    return {0, math.ceil(allowed_at - now)}
end
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return {1, 0}
"""
_SHA = hashlib.sha1(_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis names scripts by their SHA-1

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"1200/min"`` -> (1200, 60): requests and the period in seconds (DRF's notation)."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period[0]]


def _redis() -> redis.Redis:
    """The client of Django's cache (same server, database and connection pool)."""
    return cast(redis.Redis, cache._cache.get_client(write=True))  # type: ignore[attr-defined]


def _spend(key: str, limit: int, period_us: int) -> tuple[bool, int]:
    """One request of ``key`` against ``limit`` per ``period_us``: (accepted, microseconds to wait)."""
    client = _redis()
    try:
        result = client.evalsha(_SHA, 1, key, limit, period_us)
    except redis.exceptions.NoScriptError:  # first use on this server (or after SCRIPT FLUSH)
        result = client.eval(_SCRIPT, 1, key, limit, period_us)
    accepted, wait_us = cast(list[int], result)
    return bool(accepted), int(wait_us)


class GcraRateThrottle(BaseThrottle):
    """A GCRA limit in Redis per ``scope`` and identity (see the module's docstring)."""

    scope: str = ""

    def __init__(self) -> None:
        self._wait: float | None = None

    def get_rate(self) -> str | None:
        return cast(str | None, api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))

    def identity(self, request: Any) -> str | None:
        """Who is counted, or None when this throttle does not apply to the request."""
        raise NotImplementedError

    @classmethod
    def key(cls, ident: Any) -> str:
        """The Redis key of ``ident`` (the cache's ``KEY_PREFIX`` and version applied)."""
        return cast(str, cache.make_key(f"throttle:{cls.scope}:{ident}"))

    @classmethod
    def reset(cls, ident: Any) -> None:
        """Forget ``ident``'s count (lift a limit by hand, or start a test afresh)."""
        _redis().delete(cls.key(ident))

    def allow_request(self, request: Any, view: Any) -> bool:
        self._wait = None
        rate = self.get_rate()
        ident = self.identity(request) if rate else None
        if rate is None or ident is None:
            return True
        limit, period = parse_rate(rate)
        if limit <= 0:
            self._wait = float(period)
            return False
        accepted, wait_us = _spend(self.key(ident), limit, period * 1_000_000)
        if not accepted:
            self._wait = wait_us / 1_000_000
        return accepted

    def wait(self) -> float | None:
        """Seconds until a refused request would be accepted (DRF turns it into ``Throttled.wait``)."""
        return self._wait


class AccountRateThrottle(GcraRateThrottle):
    """Requests per account, whatever token or session the account uses."""

    scope = "account"

    def identity(self, request: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return str(request.user.pk)


class AnonymousRateThrottle(GcraRateThrottle):
    """Requests per client address for callers without credentials (the schema, the docs, 401s)."""

    scope = "anonymous"

    def identity(self, request: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None  # counted per account instead
        return self.get_ident(request)

    def get_ident(self, request: Any) -> str:
        """The client's address as the lockout sees it (behind ``RILO_TRUSTED_PROXY_COUNT`` proxies)."""
        return client_address(request)
