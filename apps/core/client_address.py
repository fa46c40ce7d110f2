"""The client's address: the one place that decides it, for the login lockout and the API throttles.

Behind ``RILO_TRUSTED_PROXY_COUNT`` reverse proxies, each proxy appends the address it saw to
``X-Forwarded-For``; the client is the N-th address from the right. Anything to the left of it was
written by the client and is ignored (a forged leftmost ``X-Forwarded-For`` changes nothing), and
the proxy's own address (``REMOTE_ADDR``) is never taken for the client's.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def client_address(request: Any) -> str:
    """The address of the client that sent ``request`` (a Django or DRF request)."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    count = int(getattr(settings, "RILO_TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        # Fewer hops than trusted proxies: the header was not written by them; only the peer is known.
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
