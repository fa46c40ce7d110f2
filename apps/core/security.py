"""Content-Security-Policy on every response: a slip that lets markup through still cannot run script.

The policy is ``RILO_CONTENT_SECURITY_POLICY``; it is refused at start-up if it would allow inline
or evaluated script. A view may set a narrower header of its own, which is then kept.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
FORBIDDEN_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "*", "data:")


def checked_policy(policy: str) -> str:
    """The policy, if its script sources are strict; otherwise ImproperlyConfigured."""
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [word.lower() for word in words[1:]]
    if "default-src" not in directives:
        raise ImproperlyConfigured("RILO_CONTENT_SECURITY_POLICY needs a default-src directive.")
    for name in ("script-src", "default-src"):
        loose = [source for source in directives.get(name, []) if source in FORBIDDEN_SOURCES]
        if loose:
            raise ImproperlyConfigured(f"RILO_CONTENT_SECURITY_POLICY: {name} must not allow {', '.join(loose)}.")
    return "; ".join(f"{name} {' '.join(sources)}".strip() for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds the configured ``Content-Security-Policy`` to every response that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = checked_policy(settings.RILO_CONTENT_SECURITY_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = self.policy
        return response
