"""Signing in and out with a username and password."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")


def test_it_signs_in_with_username_and_password(client: Client, alice: User) -> None:
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert client.get(reverse("core:home")).status_code == 200


def test_a_wrong_password_gets_a_clear_message_that_does_not_say_whether_the_user_exists(
    client: Client, alice: User
) -> None:
    wrong_password = client.post(LOGIN, {"username": "alice", "password": "not-the-password"})
    unknown_user = client.post(LOGIN, {"username": "nobody", "password": "not-the-password"})
    assert wrong_password.status_code == unknown_user.status_code == 200
    message = "The username or password is not correct."
    assert message in wrong_password.content.decode()
    assert message in unknown_user.content.decode()
    assert wrong_password.context["form"].non_field_errors() == unknown_user.context["form"].non_field_errors()
    # What was typed stays.
    assert 'value="alice"' in wrong_password.content.decode()


def test_a_deactivated_account_gets_the_same_message(client: Client, alice: User) -> None:
    alice.is_active = False
    alice.save()
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert "The username or password is not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_login_form_has_labels_autocomplete_and_an_error_summary_linking_to_fields(
    client: Client, db: None
) -> None:
    page = client.get(LOGIN).content.decode()
    assert '<label for="id_username">' in page
    assert 'autocomplete="username"' in page
    assert 'autocomplete="current-password"' in page
    assert "base.html" in [t.name for t in client.get(LOGIN).templates]

    errors = client.post(LOGIN, {"username": "", "password": ""}).content.decode()
    assert 'class="error-summary"' in errors
    assert 'href="#id_username"' in errors
    assert 'href="#id_password"' in errors
    assert 'id="id_username_error"' in errors  # the message beside the field
    assert 'aria-describedby="id_username_error"' in errors


def test_it_returns_to_the_page_named_in_next(client: Client, alice: User) -> None:
    profile = reverse("accounts:profile")
    response = client.post(f"{LOGIN}?next={profile}", {"username": "alice", "password": PASSWORD, "next": profile})
    assert response["Location"] == profile


def test_it_ignores_a_next_pointing_to_another_site(client: Client, alice: User) -> None:
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("core:home")


def test_signing_out_needs_a_post(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session


def test_signing_out_ends_the_session_and_says_so(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(reverse("accounts:logout"), follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    page = response.content.decode()
    assert "You have signed out." in page
    assert "Your session has expired" not in page
    assert client.get(reverse("core:home")).status_code == 302


@pytest.mark.parametrize("url_name", ["accounts:profile", "accounts:password_change", "core:home"])
def test_pages_need_a_signed_in_user(client: Client, db: None, url_name: str) -> None:
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={url}"
