"""A partner's endpoint moving to another host: the credentials are asked again, the secret rotates.

Credentials and the signing secret were given for one host. When the endpoint's host (scheme, host
name and port) changes, the stored credentials are never sent to the new host: the change is
refused unless new credentials (or an explicit "none") come with it, and a JSON webhook partner
gets a new signing secret at once (no overlap: the old host's secret stops signing), shown once.
The move is audited with the old and new hosts only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_PORTS = {"http": 80, "https": 443}


def _endpoint_host(url: str) -> str:
    """``scheme://host:port`` of an endpoint URL (the port spelled out), e.g. ``https://cen.example.org:443``."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return f"{scheme}://{(parts.hostname or '').lower()}:{port or ''}"


def _host_change(old_url: str, new_url: str | None) -> tuple[str, str] | None:
    """(old host, new host) if ``new_url`` points at another host than ``old_url``, else None."""
    if new_url is None or not old_url:
        return None
    old, new = _endpoint_host(old_url), _endpoint_host(new_url)
    return (old, new) if old != new else None


def _require_new_credentials(change: tuple[str, str] | None, credentials: dict[str, str] | None) -> None:
    """Refuse a move to another host that would keep the stored credentials (``credentials`` None)."""
    if change is not None and credentials is None:
        old, new = change
        message = _(
            "The endpoint moves from %(old)s to %(new)s: enter the credentials for the new host again (or choose "
            "None). The stored credentials are never sent to another host."
        ) % {"old": old, "new": new}
        raise ValidationError({"auth": [message]})
