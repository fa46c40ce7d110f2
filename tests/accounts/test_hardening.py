"""Two-factor set-up never cached, coordinators must use two-factor, demo seeding only on local/test settings."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.reports.models import Report
from apps.tenancy.models import Region
from tests.helpers import sign_in


def test_the_two_factor_set_up_page_is_never_stored(client: Client, alice: User) -> None:
    sign_in(client, alice)
    response = client.get(reverse("accounts:otp_setup"))
    assert response.status_code == 200 and "secret" in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_a_national_coordinator_must_set_up_two_factor_before_anything_else(client: Client, cora: User) -> None:
    sign_in(client, cora, verified=False)
    response = client.get(reverse("accounts:user_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp_setup"))
    assert cora.requires_two_factor


def test_a_national_coordinator_may_not_turn_two_factor_off(client: Client, cora: User) -> None:
    sign_in(client, cora)
    response = client.post(reverse("accounts:otp_disable"), {"token": "123456"})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=cora, confirmed=True).exists()


@pytest.mark.parametrize("command", [["seed_demo"], ["seed_reports", "5"]])
def test_seeding_refuses_to_run_outside_local_and_test_settings(db: None, settings, command: list[str]) -> None:
    settings.RILO_ALLOW_DEMO_SEED = False
    with pytest.raises(CommandError, match="refuses to run here"):
        call_command(*command, stdout=StringIO())
    assert not Region.objects.exists() and not Report.objects.exists()


def test_demo_coordinators_get_a_two_factor_secret(db: None) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.strip().startswith("fr.coordinator"))
    assert "[2FA secret" in line
