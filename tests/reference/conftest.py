"""Fixtures for reference-data tests: a signed-in client that passed two-factor verification."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from apps.accounts.models import User
from tests.helpers import sign_in


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    """Sign a user in, verified by a TOTP device as RILO staff must be."""

    def signed_in_client(user: User) -> Client:
        sign_in(client, user, verified=True)
        return client

    return signed_in_client
