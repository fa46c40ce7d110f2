"""E-mails with a link to set or reset a password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

if TYPE_CHECKING:
    from .models import User

# Templates per purpose: (subject, body).
TEMPLATES = {
    "reset": ("accounts/email/password_reset_subject.txt", "accounts/email/password_reset_email.txt"),
    "invitation": ("accounts/email/invitation_subject.txt", "accounts/email/invitation_email.txt"),
}


@dataclass(frozen=True)
class LinkBase:
    """Where links in e-mails point: the host the request came to, over the same scheme."""

    domain: str
    protocol: str = "https"

    @classmethod
    def from_request(cls, request: HttpRequest) -> LinkBase:
        return cls(domain=get_current_site(request).domain, protocol="https" if request.is_secure() else "http")


def send_password_link(*, user: User, link_base: LinkBase, purpose: str, actor: Any = None) -> None:
    """Send ``user`` a one-time link to choose a password (``purpose``: "reset" or "invitation")."""
    subject_template, body_template = TEMPLATES[purpose]
    context = {
        "user": user,
        "actor": actor,
        "email": user.email,
        "domain": link_base.domain,
        "protocol": link_base.protocol,
        "site_name": "RILO",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "link_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = "".join(render_to_string(subject_template, context).splitlines())
    body = render_to_string(body_template, context)
    send_mail(subject, body, None, [user.email])
