"""Fixtures of the report UI tests: reference terms, reports of every administration, signed-in clients."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from tests.builders import Vocabulary, make_vocabulary


def must_search(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    """``re.search`` that fails the test when nothing matches."""
    match = re.search(pattern, text, flags)
    assert match is not None, f"{pattern!r} not found"
    return match


def sign_in(client: Client, user: User) -> Client:
    """Sign ``user`` in, with a verified second factor when the role requires one."""
    client.force_login(user)
    if user.requires_two_factor:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def vocab(db: None) -> Vocabulary:
    return make_vocabulary()


@pytest.fixture
def personas(alice, cora, bob, dmitri, erin, farid, grace, hugo, ivan) -> dict[str, User]:
    return {u.username: u for u in (alice, cora, bob, dmitri, erin, farid, grace, hugo, ivan)}


@pytest.fixture
def signed_in(client: Client) -> Any:
    def _sign_in(user: User) -> Client:
        return sign_in(client, user)

    return _sign_in
