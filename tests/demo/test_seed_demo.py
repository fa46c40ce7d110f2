"""seed_demo: two regions, their administrations, one account per role; idempotent."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.tenancy.models import Administration, Region
from demo.accounts import ADMINISTRATION_ACCOUNTS, DEMO_PASSWORD, REGIONS, RILO_ACCOUNTS

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_creates_both_regions_with_their_members():
    seed()
    assert set(Region.objects.values_list("name", flat=True)) == {"RILO Western Europe", "RILO CIS"}
    we = Administration.objects.filter(region__code="rilo-we")
    assert {str(a.country) for a in we} == {"FR", "DE", "BE", "NL", "ES"}
    cis = Administration.objects.filter(region__code="rilo-cis")
    assert {str(a.country) for a in cis} == {"KZ", "UZ", "AM"}


def test_it_creates_one_account_per_role_per_administration_and_rilo_and_prints_them():
    output = seed()
    members = sum(len(m) for *_, m in REGIONS)
    expected = len(REGIONS) * len(RILO_ACCOUNTS) + members * (len(ADMINISTRATION_ACCOUNTS) + 1)
    assert User.objects.count() == expected
    for administration in Administration.objects.all():
        roles = set(administration.users.values_list("role", flat=True))
        assert roles == {Role.OFFICER, Role.NATIONAL_COORDINATOR, Role.PARTNER_SYSTEM}
    for region in Region.objects.all():
        assert set(region.staff.values_list("role", flat=True)) == {
            Role.RILO_ANALYST,
            Role.RILO_ADMINISTRATOR,
            Role.AUDITOR,
        }
    for user in User.objects.all():
        assert user.username in output
        assert list(user.groups.values_list("name", flat=True)) == [user.role]
    assert DEMO_PASSWORD in output


def test_demo_accounts_can_sign_in_with_the_printed_password(client):
    seed()
    user = User.objects.get(username="fr.officer")
    assert user.check_password(DEMO_PASSWORD)
    response = client.post("/accounts/login/", {"username": "fr.officer", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_it_is_idempotent():
    seed()
    counts = (Region.objects.count(), Administration.objects.count(), User.objects.count(), Group.objects.count())
    first_keys = dict(User.objects.values_list("username", "totpdevice__key"))
    seed()
    assert counts == (
        Region.objects.count(),
        Administration.objects.count(),
        User.objects.count(),
        Group.objects.count(),
    )
    assert first_keys == dict(User.objects.values_list("username", "totpdevice__key"))


@pytest.mark.django_db(transaction=True)
def test_it_adds_reports_on_request_and_prints_the_rate():
    from apps.reports.models import Report

    out = StringIO()
    call_command("seed_demo", "--reports", "300", "--quiet-accounts", stdout=out)
    assert Report.objects.count() == 300
    assert re.search(r"^seeded 300 reports in \d+\.\d\d s \(\d+ reports/s\)$", out.getvalue(), re.M)
    call_command("seed_demo", "--reports", "300", "--if-empty", "--quiet-accounts", stdout=StringIO())
    assert Report.objects.count() == 300
