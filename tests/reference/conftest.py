"""Fixtures for reference-data tests: a signed-in client that passed two-factor verification."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    """Sign a user in, verified by a TOTP device as RILO staff must be."""

    def sign_in(user: User) -> Client:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return sign_in
