"""Idle sessions expire; the user is told why and comes back to the page they were on."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
NOTICE = "Your session has expired; please sign in again"


def _expire_sessions() -> None:
    """What the clock does to a session left idle for longer than SESSION_COOKIE_AGE."""
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))


def test_sessions_expire_after_the_configured_idle_time(client: Client, alice: User) -> None:
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert settings.SESSION_SAVE_EVERY_REQUEST  # each request restarts the idle period


def test_each_request_restarts_the_idle_period(client: Client, alice: User) -> None:
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    Session.objects.update(expire_date=timezone.now() + timedelta(seconds=60))
    assert client.get(reverse("accounts:profile")).status_code == 200
    session = Session.objects.get()
    assert session.expire_date > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE // 2)


def test_an_expired_session_is_signed_out_told_why_and_returns_to_its_page(client: Client, alice: User) -> None:
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    _expire_sessions()
    profile = reverse("accounts:profile")

    response = client.get(profile)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={profile}"

    login_page = client.get(response["Location"])
    assert NOTICE in login_page.content.decode()
    assert f'name="next" value="{profile}"' in login_page.content.decode()

    signed_in = client.post(response["Location"], {"username": "alice", "password": PASSWORD, "next": profile})
    assert signed_in["Location"] == profile
    assert client.get(profile).status_code == 200


def test_the_expiry_notice_is_shown_once(client: Client, alice: User) -> None:
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    _expire_sessions()
    client.get(reverse("accounts:profile"))
    assert NOTICE in client.get(LOGIN).content.decode()
    assert NOTICE not in client.get(LOGIN).content.decode()


def test_a_first_visit_gets_no_expiry_notice(client: Client, db: None) -> None:
    client.get(reverse("core:home"))
    assert NOTICE not in client.get(LOGIN).content.decode()


def test_signing_out_gets_no_expiry_notice(client: Client, alice: User) -> None:
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    client.post(reverse("accounts:logout"))
    client.get(reverse("accounts:profile"))
    assert NOTICE not in client.get(LOGIN).content.decode()
