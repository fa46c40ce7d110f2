"""Partner endpoint checks: public HTTPS only, checked when a partner is saved and again at send time.

Outside local and test settings (``RILO_ALLOW_PRIVATE_ENDPOINTS``), an endpoint must use HTTPS
and every address its host resolves to must be globally routable: no loopback, private,
link-local, shared or reserved addresses, so a partner record cannot be used to reach our own
network. The address a connection actually reaches is checked again when it is made
(:mod:`apps.exchange.adapters.base`), since a host can resolve differently a moment later.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


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


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_of(text: str) -> Address:
    """An IP address as a socket reports it (scope id dropped, IPv4-mapped IPv6 as IPv4)."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def non_public(address: Address) -> str:
    """Why ``address`` is not one a partner endpoint may have ("" if it is a public unicast address)."""
    if address.is_global and not address.is_multicast:
        return ""
    return f"{address}, {_describe(address)}"


def _resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise ValidationError(
            _("The endpoint host %(host)s does not resolve (%(error)s).") % {"host": host, "error": error},
            code="unresolvable",
        ) from error
    return [address_of(str(info[4][0])) for info in infos]


def validate_endpoint(url: str, *, allow_private: bool | None = None) -> None:
    """Raise ``ValidationError`` with a clear message if ``url`` may not be used as a partner endpoint."""
    if allow_private is None:
        allow_private = bool(settings.RILO_ALLOW_PRIVATE_ENDPOINTS)
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValidationError(_("%(url)s is not an http(s) URL with a host name.") % {"url": url}, code="invalid_url")
    if parts.username or parts.password:
        raise ValidationError(
            _("Do not put credentials in the endpoint URL; store them in the partner's credentials."),
            code="credentials_in_url",
        )
    if allow_private:
        return
    if parts.scheme != "https":
        raise ValidationError(_("Partner endpoints must use HTTPS; %(url)s does not.") % {"url": url}, code="not_https")
    try:
        port = parts.port or 443
    except ValueError as error:
        raise ValidationError(_("%(url)s has an invalid port.") % {"url": url}, code="invalid_url") from error
    for address in _resolve(parts.hostname, port):
        if reason := non_public(address):
            raise ValidationError(
                _("The endpoint host %(hostname)s resolves to %(reason)s; partner endpoints must be public addresses.")
                % {"hostname": parts.hostname, "reason": reason},
                code="private_address",
            )
