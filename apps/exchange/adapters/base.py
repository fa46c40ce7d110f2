"""The adapter interface, outcomes, and the HTTP plumbing every adapter shares."""

from __future__ import annotations

import email.utils
import os
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import certifi
import requests
import urllib3
from django.conf import settings

from .. import reasons
from ..choices import AttemptOutcome
from ..endpoints import address_of, non_public

if TYPE_CHECKING:
    from ..models import Delivery, PartnerSystem, SharingPolicy

USER_AGENT = "RILO-exchange/1.0"
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class Outcome:
    """What one send attempt came to, classified (see DESIGN.md section 6, "Outcome classes")."""

    kind: str  # an AttemptOutcome value
    status_code: int | None = None
    error: str = ""
    retry_after: float | None = None
    # ``error`` as [key, {params}] parts (apps.exchange.reasons) when it is our own sentence, not the partner's.
    parts: tuple[Any, ...] = ()


def said(kind: str, status_code: int | None, key: str, retry_after: float | None = None, /, **params: Any) -> Outcome:
    """An outcome whose error is our own sentence ``key``: its English text and its parts, from the same part."""
    said = reasons.part(key, **params)
    return Outcome(kind, status_code, reasons.english([said]), retry_after=retry_after, parts=(said,))


class Adapter(Protocol):
    """Renders a snapshot for a partner and sends the bytes; one instance serves every partner of its kind."""

    def render(
        self, snapshot: Mapping[str, Any], policy: SharingPolicy | None, *, mode: str, personal_allowed: bool
    ) -> bytes:
        """The message for ``snapshot`` under ``policy``, deterministic: re-rendering gives the same bytes."""
        ...

    def send(self, payload: bytes, delivery: Delivery) -> Outcome:
        """Send ``payload`` for ``delivery`` to its partner and classify the answer; never raises for I/O."""
        ...


def timeouts() -> tuple[float, float]:
    """Explicit (connect, read) timeouts for every partner request."""
    return (float(settings.RILO_EXCHANGE_CONNECT_TIMEOUT), float(settings.RILO_EXCHANGE_READ_TIMEOUT))


class TimeoutSession(requests.Session):
    """A session that never sends a request without connect and read timeouts, nor follows redirects.

    Redirects are refused because the endpoint a redirect points to has not been checked.
    """

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", timeouts())
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True  # the body is read below, at most RILO_PARTNER_RESPONSE_MAX_BYTES of it
        refusal = proxy_refusal_part(url.decode() if isinstance(url, bytes) else url)
        if refusal:
            raise ProxyRefused(refusal)
        response = super().request(method, url, *args, **kwargs)
        limit = response_max_bytes()
        body = response.raw.read(limit + 1, decode_content=True)
        if len(body) > limit:
            response.close()  # not drained (it may never end): its connection is dropped
            raise ResponseTooLarge(
                f"the partner's answer to {method!s} exceeds {limit} bytes; the rest was not read", response=response
            )
        response.raw.release_conn()  # read to its end: the connection goes back to the pool
        response._content = body
        response._content_consumed = True  # type: ignore[attr-defined]
        return response


class ProxyRefused(requests.RequestException):
    """A proxy from the environment would carry partner traffic, and ``RILO_PARTNER_PROXY_ALLOWED`` is off."""

    def __init__(self, refusal: reasons.Part) -> None:
        super().__init__(reasons.english([refusal]))
        self.part = refusal


class PrivateAddressRefused(urllib3.exceptions.HTTPError):
    """The partner's host, checked when saved and before sending, led the connection to a non-public address."""


class _PublicPeerOnly:
    """A connection that checks the address it actually reached, outside local and test settings.

    The endpoint check resolves the host before sending; the connection resolves it again, and a
    host can answer differently the second time (DNS rebinding). This closes the socket before a
    byte is sent if that address is not public.
    """

    host: str

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        if not settings.RILO_ALLOW_PRIVATE_ENDPOINTS:
            reason = non_public(address_of(str(sock.getpeername()[0])))
            if reason:
                sock.close()
                raise PrivateAddressRefused(f"{self.host} led to {reason} when connecting; nothing was sent")
        return sock


class PublicHTTPConnection(_PublicPeerOnly, urllib3.connection.HTTPConnection):
    """An HTTP connection to public addresses only (see :class:`_PublicPeerOnly`)."""


class PublicHTTPSConnection(_PublicPeerOnly, urllib3.connection.HTTPSConnection):
    """An HTTPS connection to public addresses only (see :class:`_PublicPeerOnly`)."""


class _PublicHTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = PublicHTTPConnection


class _PublicHTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = PublicHTTPSConnection


def public_only(manager: urllib3.PoolManager) -> urllib3.PoolManager:
    """Make ``manager``'s connections check the address they reach; through a proxy, the proxy is that address."""
    if not isinstance(manager, urllib3.ProxyManager):
        manager.pool_classes_by_scheme = {"http": _PublicHTTPConnectionPool, "https": _PublicHTTPSConnectionPool}
    return manager


class PublicOnlyHTTPAdapter(requests.adapters.HTTPAdapter):
    """A requests transport whose connections check the address they reach (for clients built on requests)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        public_only(self.poolmanager)


_pools: dict[tuple[int, str], urllib3.PoolManager] = {}
_pools_lock = threading.Lock()


def pool_for(partner: PartnerSystem) -> urllib3.PoolManager:
    """A keep-alive connection pool per partner endpoint, shared by the process's threads (urllib3's are thread-safe).

    Plain urllib3 rather than a requests session: a webhook is one POST, and requests' per-call
    preparation was a tenth of a worker's CPU. Proxies and the CA bundle are read from the
    environment (as requests reads them) when the pool is made; redirects and retries are never
    followed.
    """
    key = (partner.pk, partner.endpoint_url)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            proxies = requests.utils.get_environ_proxies(partner.endpoint_url)
            proxy = proxies.get(urlsplit(partner.endpoint_url).scheme) or proxies.get("all")
            options: dict[str, Any] = {
                "num_pools": 2,
                "maxsize": max(4, partner.max_in_flight),
                "cert_reqs": "CERT_REQUIRED",
                "ca_certs": os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where(),
                "retries": False,
                "headers": {"User-Agent": USER_AGENT},
            }
            pool = urllib3.ProxyManager(proxy, **options) if proxy else public_only(urllib3.PoolManager(**options))
            _pools[key] = pool
    return pool


def environment_proxy(url: str) -> str | None:
    """The proxy the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``; ``NO_PROXY``) sets for ``url``."""
    proxies = requests.utils.get_environ_proxies(url)
    return proxies.get(urlsplit(url).scheme) or proxies.get("all") or None


def proxy_refusal_part(url: str) -> reasons.Part | None:
    """Why partner traffic to ``url`` may not go out (a proxy nobody allowed), as a reason part, or None."""
    proxy = environment_proxy(url)
    if proxy and not settings.RILO_PARTNER_PROXY_ALLOWED:
        shown = urlsplit(proxy)
        return reasons.part("proxy_not_allowed", proxy=f"{shown.hostname}:{shown.port or '-'}")
    return None


def proxy_refusal(url: str) -> str:
    """Why partner traffic to ``url`` may not go out (a proxy nobody allowed), or ""."""
    refusal = proxy_refusal_part(url)
    return reasons.english([refusal]) if refusal else ""


class ResponseTooLarge(requests.RequestException):
    """A partner's answer was longer than ``RILO_PARTNER_RESPONSE_MAX_BYTES``; the rest was not read."""


def response_max_bytes() -> int:
    return int(settings.RILO_PARTNER_RESPONSE_MAX_BYTES)


def read_capped(response: urllib3.BaseHTTPResponse) -> tuple[bytes, bool]:
    """At most ``RILO_PARTNER_RESPONSE_MAX_BYTES`` of a streamed urllib3 answer, and whether there was more.

    A longer answer is not read further: its connection is closed rather than drained (an endless
    body would never end), and a fresh one is opened for the next message.
    """
    limit = response_max_bytes()
    body = response.read(limit + 1, decode_content=True)
    truncated = len(body) > limit
    if truncated:
        response.close()  # the rest stays unread; the pool opens a new connection next time
    response.release_conn()
    return body[:limit], truncated


def close_pools() -> None:
    """Close every pooled partner connection of this process (they reopen on the next send)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.clear()
        _pools.clear()


def classify_transport_error(error: urllib3.exceptions.HTTPError) -> Outcome:
    """Outcome of a urllib3 request that got no answer: timeouts and connection errors are retried;
    a connection that led to a non-public address needs attention."""
    if isinstance(error, PrivateAddressRefused):
        return said(AttemptOutcome.REFUSED, None, "endpoint_refused", detail=str(error))
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return said(AttemptOutcome.RETRY, None, "timed_out", kind=error.__class__.__name__, detail=excerpt(str(error)))
    return said(AttemptOutcome.RETRY, None, "connection_failed", detail=excerpt(str(error)))


def configure_from_environment(session: requests.Session, url: str) -> None:
    """Proxies and CA bundle from the environment, read once per session rather than on every request;
    connections that check the address they reach."""
    session.proxies = requests.utils.get_environ_proxies(url)
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.trust_env = False
    for prefix in ("https://", "http://"):
        session.mount(prefix, PublicOnlyHTTPAdapter())


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def excerpt(text: str) -> str:
    """A short, single-line excerpt of a partner's answer for the attempt log."""
    flat = " ".join(text.split())
    return flat[:MAX_ERROR_CHARS] + ("…" if len(flat) > MAX_ERROR_CHARS else "")


def classify(status: int, headers: Mapping[str, str], body: str) -> Outcome:
    """Outcome class of an HTTP answer: 2xx ok, 409 duplicate, 410 gone, 408/429/5xx retry, other refused."""
    if 200 <= status < 300:
        return Outcome(AttemptOutcome.SUCCEEDED, status)
    if status == 409:
        return Outcome(AttemptOutcome.DUPLICATE, status, excerpt(body))
    if status == 410:
        return said(AttemptOutcome.GONE, status, "gone", detail=excerpt(body))
    if status in (408, 425, 429) or status >= 500:
        retry_after = retry_after_seconds(headers.get("Retry-After"))
        # "HTTP 503: <answer>", or "HTTP 503" alone (any ": " at the answer's end is dropped too)
        detail = f"HTTP {status}: {excerpt(body)}".rstrip(": ")[len(f"HTTP {status}: ") :]
        if detail:
            return said(AttemptOutcome.RETRY, status, "http_status_said", retry_after, status=status, detail=detail)
        return said(AttemptOutcome.RETRY, status, "http_status", retry_after, status=status)
    if 300 <= status < 400:
        location = headers.get("Location", "?")
        return said(AttemptOutcome.NEEDS_ATTENTION, status, "redirect", status=status, location=location)
    return said(AttemptOutcome.NEEDS_ATTENTION, status, "partner_refused", status=status, detail=excerpt(body))


def classify_exception(error: Exception) -> Outcome:
    """Outcome of a request that got no answer: timeouts and connection errors are retried."""
    if isinstance(error, requests.Timeout):
        return said(AttemptOutcome.RETRY, None, "timed_out", kind=error.__class__.__name__, detail=excerpt(str(error)))
    if isinstance(error, requests.ConnectionError):
        return said(AttemptOutcome.RETRY, None, "connection_failed", detail=excerpt(str(error)))
    return Outcome(AttemptOutcome.RETRY, None, f"{error.__class__.__name__}: {excerpt(str(error))}")


def encode(document: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no spaces, UTF-8; the same document always gives the same bytes."""
    import json

    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
