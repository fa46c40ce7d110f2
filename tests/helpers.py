"""Signing personas in for tests, with a session verified by a real TOTP device when needed."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.accounts.services import otp_device_ensure
from apps.mail.services import mail_deliver


def current_code(device: TOTPDevice) -> str:
    """The code the user's authenticator app would show now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def sign_in(client: Client, user: User, *, verified: bool | None = None) -> None:
    """Sign ``user`` in; with ``verified`` (default: when the role requires it), as if a code had been entered."""
    client.force_login(user)
    if verified is None:
        verified = user.requires_two_factor
    if verified:
        device = otp_device_ensure(user=user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def deliver_mail() -> list[mail.EmailMessage]:
    """Send what the mail outbox holds now, as a worker would (the service itself, in this process), and
    return every message the test's mail backend has received."""
    while mail_deliver():
        pass
    return list(mail.outbox)


def link_in_last_email() -> str:
    """The path of the first link in the last e-mail sent."""
    deliver_mail()
    body = str(mail.outbox[-1].body)
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


def bearer(plaintext: str) -> dict[str, str]:
    """The header that presents an API token."""
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
