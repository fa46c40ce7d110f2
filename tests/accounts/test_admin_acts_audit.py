"""Every administrative act on accounts and administrations is on record, for the region's auditors only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import otp_device_ensure
from apps.audit.models import AuditEvent
from apps.tenancy.models import Administration, Region
from tests.factories import UserFactory
from tests.helpers import deliver_mail, sign_in

LOG = reverse("audit:event_list")


def edit_url(user: User) -> str:
    return reverse("accounts:user_edit", args=[user.pk])


def details(user: User, **changes: str) -> dict[str, str]:
    data = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email, "role": user.role}
    data.update(changes)
    return data


@pytest.fixture
def yuri(region_cis: Region) -> User:
    """The auditor of RILO CIS."""
    return UserFactory.create(username="yuri", role=Role.AUDITOR, region=region_cis)


def the_event(action: str) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def seen_by(client: Client, auditor: User, action: str) -> bool:
    sign_in(client, auditor)
    return f"<code>{action}</code>" in client.get(LOG, {"action": action}).content.decode()


def test_an_invitation_is_on_record(client, cora, france):
    sign_in(client, cora)
    client.post(
        reverse("accounts:user_create"),
        {"username": "zoe", "first_name": "Zoé", "last_name": "Martin", "email": "zoe@example.org", "role": "officer"},
    )
    zoe = User.objects.get(username="zoe")
    event = the_event("accounts.user_invite")
    assert (event.actor, event.administration, event.detail) == (cora, france, {"user": zoe.pk, "role": "officer"})


def test_a_role_change_is_on_record(client, cora, alice):
    sign_in(client, cora)
    client.post(edit_url(alice), details(alice, role="national_coordinator"))
    event = the_event("accounts.user_role_change")
    assert event.detail == {"user": alice.pk, "from_role": "officer", "to_role": "national_coordinator"}


def test_an_email_change_is_on_record_and_the_old_address_is_told(
    client, cora, alice, django_capture_on_commit_callbacks
):
    old = alice.email
    sign_in(client, cora)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit_url(alice), details(alice, email="alice.new@example.org"))
    event = the_event("accounts.user_email_change")
    assert event.detail == {"user": alice.pk}
    assert "example.org" not in str(event.detail)
    [message] = deliver_mail()
    assert message.to == [old] and "changed" in message.subject


def test_the_old_address_is_warned_that_password_links_and_two_factor_resets_now_go_to_the_new_one(
    client, cora, alice, django_capture_on_commit_callbacks
):
    sign_in(client, cora)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit_url(alice), details(alice, email="alice.new@example.org"))
    [message] = deliver_mail()
    assert "choose a new password" in message.body and "two-factor authentication was reset" in message.body
    assert "someone other than cora" in message.body
    assert "alice.new@example.org" not in message.body


def test_a_password_link_sent_by_an_administrator_is_on_record(client, cora, alice):
    sign_in(client, cora)
    client.post(reverse("accounts:user_password_reset", args=[alice.pk]))
    assert the_event("accounts.user_password_link").detail == {"user": alice.pk}


def test_deactivating_and_reactivating_are_on_record(client, cora, alice):
    sign_in(client, cora)
    client.post(reverse("accounts:user_deactivate", args=[alice.pk]))
    client.post(reverse("accounts:user_reactivate", args=[alice.pk]))
    assert the_event("accounts.user_deactivate").detail == {"user": alice.pk}
    assert the_event("accounts.user_reactivate").detail == {"user": alice.pk}


def test_a_two_factor_reset_is_on_record_and_the_owner_is_told(client, grace, erin, django_capture_on_commit_callbacks):
    otp_device_ensure(user=erin)
    sign_in(client, grace)
    assert "Reset two-factor authentication" in client.get(edit_url(erin)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:user_two_factor_reset", args=[erin.pk]))
    assert not TOTPDevice.objects.filter(user=erin).exists()
    event = the_event("accounts.user_two_factor_reset")
    assert (event.actor, event.region, event.detail) == (grace, erin.region, {"user": erin.pk})
    assert [message.to for message in deliver_mail()] == [[erin.email]]


def test_nobody_resets_their_own_or_an_unmanaged_accounts_two_factor(client, cora, bob):
    otp_device_ensure(user=bob)
    sign_in(client, cora)
    assert client.post(reverse("accounts:user_two_factor_reset", args=[bob.pk])).status_code == 404
    client.post(reverse("accounts:user_two_factor_reset", args=[cora.pk]))
    assert TOTPDevice.objects.filter(user=bob).exists() and TOTPDevice.objects.filter(user=cora).exists()
    assert not AuditEvent.objects.filter(action="accounts.user_two_factor_reset").exists()


def test_administration_edits_are_on_record(client, grace, france):
    sign_in(client, grace)
    client.post(reverse("tenancy:administration_create"), {"name": "Belgian Customs", "country": "BE", "code": "be"})
    belgium = Administration.objects.get(code="be")
    created = the_event("tenancy.administration_create")
    assert (created.administration, created.detail["code"]) == (belgium, "be")
    client.post(
        reverse("tenancy:administration_edit", args=[france.pk]),
        {"name": "French Customs (DGDDI)", "country": "FR", "code": "fr", "active": "on"},
    )
    updated = the_event("tenancy.administration_update")
    assert updated.detail["fields"] == ["name"] and updated.detail["to"] == {"name": "French Customs (DGDDI)"}


@pytest.mark.parametrize(
    "action",
    [
        "accounts.user_invite",
        "accounts.user_role_change",
        "accounts.user_email_change",
        "accounts.user_password_link",
        "accounts.user_deactivate",
        "accounts.user_two_factor_reset",
        "accounts.token_issue",
        "accounts.token_revoke",
        "tenancy.administration_update",
    ],
)
def test_the_regions_auditor_sees_each_administrative_act_and_another_regions_auditor_does_not(
    client, cora, alice, grace, france, hugo, yuri, api_nsys, action
):
    """Each act done through its page, then the log read by hugo (RILO Western Europe) and yuri (RILO CIS)."""
    sign_in(client, cora)
    otp_device_ensure(user=alice)
    if action == "accounts.user_invite":
        client.post(
            reverse("accounts:user_create"),
            {"username": "zoe", "first_name": "Zoé", "email": "zoe@example.org", "role": "officer"},
        )
    elif action == "accounts.user_role_change":
        client.post(edit_url(alice), details(alice, role="national_coordinator"))
    elif action == "accounts.user_email_change":
        client.post(edit_url(alice), details(alice, email="alice.new@example.org"))
    elif action == "accounts.user_password_link":
        client.post(reverse("accounts:user_password_reset", args=[alice.pk]))
    elif action == "accounts.user_deactivate":
        client.post(reverse("accounts:user_deactivate", args=[alice.pk]))
    elif action == "accounts.user_two_factor_reset":
        client.post(reverse("accounts:user_two_factor_reset", args=[alice.pk]))
    elif action in ("accounts.token_issue", "accounts.token_revoke"):
        client.post("/accounts/tokens/new/", {"user": "nsys", "name": "n", "scopes": ["read"], "expires_in_days": 7})
        token = api_nsys.api_tokens.get()
        client.post(f"/accounts/tokens/{token.pk}/revoke/")
    else:
        sign_in(client, grace)
        client.post(
            reverse("tenancy:administration_edit", args=[france.pk]),
            {"name": "French Customs (DGDDI)", "country": "FR", "code": "fr", "active": "on"},
        )
    assert AuditEvent.objects.filter(action=action).exists()
    assert seen_by(client, hugo, action)
    assert not seen_by(client, yuri, action)


@pytest.fixture
def api_nsys(france: Administration) -> User:
    """The French national system's account."""
    return UserFactory.create(username="nsys", role=Role.PARTNER_SYSTEM, administration=france)
