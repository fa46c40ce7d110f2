"""Partner endpoint checks: public HTTPS only, checked when a partner is saved and again at send time.

Outside local and test settings (``RILO_ALLOW_PRIVATE_ENDPOINTS``), an endpoint must use HTTPS
and every address its host resolves to must be globally routable: no loopback, private,
link-local, shared or reserved addresses, so a partner record cannot be used to reach our own
network.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError


def _describe(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    return "a reserved, non-public address"


def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise ValidationError(f"The endpoint host {host} does not resolve ({error}).", code="unresolvable") from error
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        addresses.append(address)
    return addresses


def validate_endpoint(url: str, *, allow_private: bool | None = None) -> None:
    """Raise ``ValidationError`` with a clear message if ``url`` may not be used as a partner endpoint."""
    if allow_private is None:
        allow_private = bool(settings.RILO_ALLOW_PRIVATE_ENDPOINTS)
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValidationError(f"{url} is not an http(s) URL with a host name.", code="invalid_url")
    if parts.username or parts.password:
        raise ValidationError(
            "Do not put credentials in the endpoint URL; store them in the partner's credentials.",
            code="credentials_in_url",
        )
    if allow_private:
        return
    if parts.scheme != "https":
        raise ValidationError(f"Partner endpoints must use HTTPS; {url} does not.", code="not_https")
    try:
        port = parts.port or 443
    except ValueError as error:
        raise ValidationError(f"{url} has an invalid port.", code="invalid_url") from error
    for address in _resolve(parts.hostname, port):
        if not address.is_global or address.is_multicast:
            raise ValidationError(
                f"The endpoint host {parts.hostname} resolves to {address}, {_describe(address)}; "
                "partner endpoints must be public addresses.",
                code="private_address",
            )
