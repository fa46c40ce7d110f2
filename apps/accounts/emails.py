"""E-mails with a link to set or reset a password, written to the mail outbox (:mod:`apps.mail`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.core.actor import Actor
from apps.mail.services import mail_enqueue

if TYPE_CHECKING:
    from .models import User

# The template of each purpose (``<template>_subject.txt``, ``<template>_body.txt``).
TEMPLATES = {"reset": "accounts/email/password_reset", "invitation": "accounts/email/invitation"}


@dataclass(frozen=True)
class LinkBase:
    """Where links in e-mails point: the host the request came to, over the same scheme."""

    domain: str
    protocol: str = "https"

    @classmethod
    def from_request(cls, request: HttpRequest) -> LinkBase:
        return cls(domain=get_current_site(request).domain, protocol="https" if request.is_secure() else "http")


def send_password_link(*, user: User, link_base: LinkBase, purpose: str, actor: Actor | None = None) -> None:
    """Mail ``user`` a one-time link to choose a password (``purpose``: "reset" or "invitation"); sent by a
    worker once the current transaction commits."""
    context: dict[str, Any] = {
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
    mail_enqueue(to=[user], template=TEMPLATES[purpose], context=context)
