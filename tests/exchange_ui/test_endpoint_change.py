"""A partner's endpoint moving to another host: credentials asked again, signing secret rotated, audited."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.exchange import crypto
from apps.exchange.models import PartnerSystem
from tests.exchange.builders import partner_change

from .conftest import form_data

pytestmark = pytest.mark.django_db
SignedIn = Callable[..., Client]


def edit_data(**overrides: str) -> dict[str, str]:
    defaults = {"name": "WCO CEN", "auth": "keep", "token": "", "state": "active", "state_reason": ""}
    data = form_data(**{**defaults, **overrides})
    data.pop("account_username")
    return data


@pytest.fixture
def with_credentials(we_partner: PartnerSystem) -> PartnerSystem:
    return partner_change(partner=we_partner, credentials={"token": "old-host-token"})


def test_changing_a_partner_s_endpoint_host_requires_new_credentials(
    signed_in: SignedIn, grace: User, with_credentials: PartnerSystem
) -> None:
    partner = with_credentials
    before = (partner.endpoint_url, partner.credentials_encrypted, partner.signing_secret_encrypted)
    audited = AuditEvent.objects.filter(action__startswith="exchange.partner_").count()  # made by the fixture
    url = reverse("exchange:partner_edit", args=[partner.pk])

    response = signed_in(grace).post(url, edit_data(endpoint_url="https://203.0.113.77/hooks/rilo"))

    assert response.status_code == 200
    errors = response.context["form"].errors["auth"]
    assert errors == [
        "The endpoint moves from http://127.0.0.1:9 to https://203.0.113.77:443: enter the credentials for the new "
        "host again (or choose None). The stored credentials are never sent to another host."
    ]
    page = response.content.decode()
    assert 'value="https://203.0.113.77/hooks/rilo"' in page  # what was typed is kept
    partner.refresh_from_db()
    assert (partner.endpoint_url, partner.credentials_encrypted, partner.signing_secret_encrypted) == before
    assert partner.credentials == {"token": "old-host-token"}
    assert AuditEvent.objects.filter(action__startswith="exchange.partner_").count() == audited  # nothing new

    # Same host, another path: the stored credentials may stay.
    response = signed_in(grace).post(url, edit_data(endpoint_url="http://127.0.0.1:9/hooks/v2"))
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.endpoint_url == "http://127.0.0.1:9/hooks/v2" and partner.credentials == {"token": "old-host-token"}


def test_changing_a_partner_s_endpoint_host_rotates_the_signing_secret_and_is_audited(
    signed_in: SignedIn, grace: User, with_credentials: PartnerSystem
) -> None:
    partner = with_credentials
    [old_secret] = partner.signing_secrets()
    url = reverse("exchange:partner_edit", args=[partner.pk])

    response = signed_in(grace).post(
        url, edit_data(endpoint_url="https://203.0.113.77/hooks/rilo", auth="token", token="new-host-token")
    )

    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    match = re.search(r'id="signing-secret"[^>]*value="(whsec_[^"]+)"', page)
    assert match, page
    new_secret = match.group(1)
    assert "the previous secret no longer signs messages" in page
    partner.refresh_from_db()
    assert partner.endpoint_url == "https://203.0.113.77/hooks/rilo"
    assert partner.credentials == {"token": "new-host-token"}
    assert partner.signing_secrets() == [new_secret] and new_secret != old_secret  # the old one stops at once
    event = AuditEvent.objects.get(action="exchange.partner_endpoint_host_change")
    assert event.actor == grace and event.object_id == str(partner.pk)
    assert event.detail == {
        "old_host": "http://127.0.0.1:9",
        "new_host": "https://203.0.113.77:443",
        "secret_rotated": True,
    }
    assert "token" not in str(event.detail) and crypto.decrypt(partner.credentials_encrypted) not in str(event.detail)
    assert new_secret not in client_page(signed_in(grace), partner)


def client_page(client: Client, partner: PartnerSystem) -> str:
    return client.get(reverse("exchange:partner_detail", args=[partner.pk])).content.decode()


def test_choosing_no_credentials_for_the_new_host_drops_the_stored_ones(
    signed_in: SignedIn, grace: User, with_credentials: PartnerSystem
) -> None:
    partner = with_credentials
    url = reverse("exchange:partner_edit", args=[partner.pk])
    response = signed_in(grace).post(url, edit_data(endpoint_url="https://203.0.113.78:8443/in", auth="none"))
    assert response.status_code == 200
    partner.refresh_from_db()
    assert partner.credentials == {} and partner.endpoint_url == "https://203.0.113.78:8443/in"
    event = AuditEvent.objects.get(action="exchange.partner_endpoint_host_change")
    assert event.detail["new_host"] == "https://203.0.113.78:8443"
