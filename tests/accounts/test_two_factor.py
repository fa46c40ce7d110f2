"""TOTP two-factor authentication: set-up, verification, enforcement, and turning it off."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.accounts.services import otp_device_ensure
from tests.factories import PASSWORD, UserFactory
from tests.helpers import current_code, sign_in

LOGIN = reverse("accounts:login")
HOME = reverse("core:home")
PROFILE = reverse("accounts:profile")
SETUP = reverse("accounts:otp_setup")
VERIFY = reverse("accounts:otp_verify")


def _sign_in(client: Client, username: str) -> str:
    response = client.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return str(response["Location"])


# --- who is asked --------------------------------------------------------------------------


def test_a_rilo_analyst_is_sent_to_set_up_on_first_sign_in(client: Client, erin: User) -> None:
    assert _sign_in(client, "erin") == f"{SETUP}?next=%2F"


def test_rilo_staff_reach_no_other_page_until_verified(client: Client, erin: User) -> None:
    _sign_in(client, "erin")
    for url in (HOME, PROFILE, reverse("accounts:password_change"), reverse("accounts:user_list")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(SETUP), url
    assert client.get(SETUP).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_an_officer_without_a_device_is_not_asked(client: Client, alice: User) -> None:
    assert _sign_in(client, "alice") == HOME
    assert client.get(HOME).status_code == 200


def test_an_officer_with_a_device_is_asked(client: Client, alice: User) -> None:
    otp_device_ensure(user=alice)
    assert _sign_in(client, "alice") == f"{VERIFY}?next=%2F"
    response = client.get(PROFILE)
    assert response["Location"] == f"{VERIFY}?next=%2Faccounts%2Fprofile%2F"


def test_an_unconfirmed_device_does_not_make_an_officer_verify(client: Client, alice: User) -> None:
    TOTPDevice.objects.create(user=alice, name="pending", confirmed=False)
    assert _sign_in(client, "alice") == HOME


# --- verify --------------------------------------------------------------------------------


def test_the_verify_page_asks_for_a_one_time_code(client: Client, alice: User) -> None:
    otp_device_ensure(user=alice)
    _sign_in(client, "alice")
    page = client.get(VERIFY).content.decode()
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert '<label for="id_token">' in page


def test_a_wrong_code_is_refused_with_a_message(client: Client, alice: User) -> None:
    device = otp_device_ensure(user=alice)
    _sign_in(client, "alice")
    wrong = f"{(int(current_code(device)) + 500000) % 1000000:06d}"
    response = client.post(VERIFY, {"token": wrong, "next": PROFILE})
    assert response.status_code == 200
    assert "This code is not correct." in response.content.decode()
    assert 'href="#id_token"' in response.content.decode()
    assert client.get(PROFILE).status_code == 302


def test_a_code_that_is_not_six_digits_is_refused_beside_the_field(client: Client, alice: User) -> None:
    otp_device_ensure(user=alice)
    _sign_in(client, "alice")
    response = client.post(VERIFY, {"token": "12ab"})
    assert "Enter the 6 digits" in response.content.decode()


def test_the_right_code_verifies_the_session_and_returns_to_the_page_asked_for(client: Client, alice: User) -> None:
    device = otp_device_ensure(user=alice)
    _sign_in(client, "alice")
    response = client.post(f"{VERIFY}?next={PROFILE}", {"token": current_code(device), "next": PROFILE})
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    assert client.get(PROFILE).status_code == 200


def test_a_code_is_accepted_only_once(client: Client, alice: User) -> None:
    device = otp_device_ensure(user=alice)
    code = current_code(device)
    _sign_in(client, "alice")
    assert client.post(VERIFY, {"token": code}).status_code == 302
    client.post(reverse("accounts:logout"))
    _sign_in(client, "alice")
    response = client.post(VERIFY, {"token": code})
    assert response.status_code == 200
    assert "This code is not correct." in response.content.decode()


def test_repeated_wrong_codes_are_throttled(client: Client, alice: User, settings) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 3600
    device = otp_device_ensure(user=alice)
    _sign_in(client, "alice")
    wrong = f"{(int(current_code(device)) + 500000) % 1000000:06d}"
    client.post(VERIFY, {"token": wrong})
    response = client.post(VERIFY, {"token": current_code(device)})
    assert "Too many wrong codes." in response.content.decode()
    assert client.get(HOME).status_code == 302


# --- set-up --------------------------------------------------------------------------------


def test_set_up_shows_a_server_drawn_qr_code_and_the_key_of_an_unconfirmed_device(client: Client, erin: User) -> None:
    sign_in(client, erin, verified=False)
    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=erin)
    assert not device.confirmed
    assert "<svg" in page
    assert "<script" not in page.split("<main", 1)[1]
    secret = base64.b32encode(device.bin_key).decode()
    assert secret[:4] + " " + secret[4:8] in page
    assert "Your role requires two-factor authentication" in page
    # Reloading keeps the same key, so a QR code already scanned stays valid.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=erin).count() == 1


def test_set_up_with_a_wrong_code_leaves_the_device_unconfirmed(client: Client, erin: User) -> None:
    sign_in(client, erin, verified=False)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=erin)
    wrong = f"{(int(current_code(device)) + 500000) % 1000000:06d}"
    response = client.post(SETUP, {"token": wrong})
    assert response.status_code == 200
    assert "This code is not correct." in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(HOME)["Location"].startswith(SETUP)


def test_set_up_with_the_right_code_confirms_the_device_and_verifies_the_session(client: Client, erin: User) -> None:
    sign_in(client, erin, verified=False)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=erin)
    response = client.post(f"{SETUP}?next=%2F", {"token": current_code(device), "next": HOME})
    assert response["Location"] == HOME
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(HOME).status_code == 200


def test_set_up_is_not_offered_again_once_a_device_is_confirmed(client: Client, alice: User) -> None:
    otp_device_ensure(user=alice)
    sign_in(client, alice, verified=True)
    assert client.get(SETUP)["Location"] == PROFILE
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_an_unverified_user_with_a_device_cannot_add_a_second_one(client: Client, alice: User) -> None:
    otp_device_ensure(user=alice)
    sign_in(client, alice, verified=False)
    response = client.get(SETUP, follow=True)
    assert response.redirect_chain[-1][0].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=alice).count() == 1


# --- My account: enable and disable --------------------------------------------------------


def test_an_officer_may_turn_two_factor_on_from_my_account(client: Client, alice: User) -> None:
    sign_in(client, alice)
    page = client.get(PROFILE).content.decode()
    assert "Off." in page
    assert SETUP in page
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=alice)
    client.post(SETUP, {"token": current_code(device)})
    assert "since" in client.get(PROFILE).content.decode()


def test_an_officer_may_turn_two_factor_off_with_a_current_code(client: Client, alice: User) -> None:
    device = otp_device_ensure(user=alice)
    sign_in(client, alice, verified=True)
    response = client.post(reverse("accounts:otp_disable"), {"token": current_code(device)})
    assert response["Location"] == PROFILE
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert _sign_in_again(client) == HOME


def _sign_in_again(client: Client) -> str:
    client.post(reverse("accounts:logout"))
    return _sign_in(client, "alice")


def test_turning_two_factor_off_needs_a_right_code(client: Client, alice: User) -> None:
    device = otp_device_ensure(user=alice)
    sign_in(client, alice, verified=True)
    wrong = f"{(int(current_code(device)) + 500000) % 1000000:06d}"
    response = client.post(reverse("accounts:otp_disable"), {"token": wrong})
    assert response.status_code == 400
    assert "This code is not correct." in response.content.decode()
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).exists()


def test_rilo_staff_cannot_turn_two_factor_off(client: Client, erin: User) -> None:
    sign_in(client, erin)
    device = TOTPDevice.objects.get(user=erin)
    assert "cannot be turned off" in client.get(PROFILE).content.decode()
    response = client.post(reverse("accounts:otp_disable"), {"token": current_code(device)})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=erin, confirmed=True).exists()


# --- admin site ----------------------------------------------------------------------------


@pytest.fixture
def root(db: None) -> User:
    return UserFactory.create(username="root", is_superuser=True, is_staff=True)


def test_the_admin_site_sends_an_unverified_superuser_to_set_up(client: Client, root: User) -> None:
    sign_in(client, root, verified=False)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(SETUP)


def test_the_admin_site_asks_staff_for_a_code_even_when_their_role_does_not(client: Client, alice: User) -> None:
    alice.is_staff = True
    alice.save()
    otp_device_ensure(user=alice)
    sign_in(client, alice, verified=False)
    assert client.get("/admin/", follow=True).redirect_chain[-1][0].startswith(VERIFY)


def test_the_admin_site_needs_two_factor_even_for_staff_who_never_set_it_up(client: Client, alice: User) -> None:
    alice.is_staff = True
    alice.save()
    sign_in(client, alice, verified=False)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(SETUP)


def test_the_admin_site_opens_for_a_verified_superuser(client: Client, root: User) -> None:
    sign_in(client, root, verified=True)
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_sends_anonymous_users_to_the_sign_in_page(client: Client, db: None) -> None:
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == f"{LOGIN}?next=/admin/"


# --- non-page requests ---------------------------------------------------------------------


def test_an_htmx_request_of_an_unverified_user_is_redirected_by_htmx(client: Client, erin: User) -> None:
    sign_in(client, erin, verified=False)
    response = client.get(HOME, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(SETUP)


def test_an_api_request_of_an_unverified_user_gets_a_json_403(rf, erin: User) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    from apps.accounts.middleware import TwoFactorMiddleware
    from apps.core.views import home

    request = rf.get("/api/v1/reports/")
    request.session = SessionStore()
    erin.is_verified = lambda: False  # type: ignore[attr-defined] # what OTPMiddleware installs for a session without a verified device
    request.user = erin
    response = TwoFactorMiddleware(home).process_view(request, home, (), {})
    assert response is not None
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert b"two_factor_required" in response.content
