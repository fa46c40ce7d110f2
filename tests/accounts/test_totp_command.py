"""The demo's totp_code command and the otp_device_ensure service used by seeding."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.accounts.services import otp_device_ensure

KEY = "3132333435363738393031323334353637383930"


def test_it_refuses_to_run_without_debug(erin: User, settings) -> None:
    settings.DEBUG = False
    otp_device_ensure(user=erin)
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("totp_code", "erin")


def test_it_prints_a_code_the_device_accepts(erin: User, settings) -> None:
    settings.DEBUG = True
    device = otp_device_ensure(user=erin)
    out = StringIO()
    call_command("totp_code", "erin", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6
    assert device.verify_token(code)


def test_it_explains_a_user_without_device(alice: User, settings) -> None:
    settings.DEBUG = True
    with pytest.raises(CommandError, match="no confirmed two-factor device"):
        call_command("totp_code", "alice")


def test_otp_device_ensure_gives_one_confirmed_device_with_the_given_key(erin: User) -> None:
    first = otp_device_ensure(user=erin, key_hex=KEY)
    again = otp_device_ensure(user=erin, key_hex=KEY)
    assert first.pk == again.pk
    assert TOTPDevice.objects.filter(user=erin).count() == 1
    assert again.confirmed
    assert again.key == KEY


def test_otp_device_ensure_replaces_the_key_of_an_existing_device(erin: User) -> None:
    device = otp_device_ensure(user=erin)
    assert device.key != KEY
    assert otp_device_ensure(user=erin, key_hex=KEY).key == KEY
    assert TOTPDevice.objects.filter(user=erin).count() == 1
