"""django-axes locks a username (from one address) after repeated failures."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")


def _fail(client: Client, username: str = "alice", times: int = 1) -> list[int]:
    return [client.post(LOGIN, {"username": username, "password": "wrong-password"}).status_code for _ in range(times)]


def test_five_wrong_passwords_lock_the_account_with_a_clear_page(client: Client, alice: User) -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    assert _fail(client, times=4) == [200, 200, 200, 200]
    response = client.post(LOGIN, {"username": "alice", "password": "wrong-password"})
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "Sign-in is blocked for now" in page
    assert "locked for 15 minutes" in page
    assert "contact your national coordinator" in page
    assert "Traceback" not in page


def test_the_right_password_is_refused_while_locked(client: Client, alice: User) -> None:
    _fail(client, times=5)
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "Sign-in is blocked for now" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_before_the_limit_resets_the_count(client: Client, alice: User) -> None:
    _fail(client, times=4)
    assert client.post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 302
    client.post(reverse("accounts:logout"))
    assert _fail(client, times=4) == [200, 200, 200, 200]
    assert client.post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 302


def test_a_username_that_does_not_exist_locks_the_same_way(client: Client, alice: User) -> None:
    # Otherwise the lockout would tell which accounts exist.
    assert _fail(client, username="nobody", times=5)[-1] == 429


def test_the_lock_is_per_username(client: Client, alice: User, cora: User) -> None:
    _fail(client, times=5)
    assert client.post(LOGIN, {"username": "cora", "password": PASSWORD}).status_code == 302
