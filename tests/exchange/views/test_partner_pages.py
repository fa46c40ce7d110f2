"""Partner systems in the UI: list, create (secret shown once), edit, rotate, pause and resume."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from standardwebhooks.webhooks import Webhook

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.exchange import crypto
from apps.exchange.choices import PartnerState
from apps.exchange.models import PartnerSystem
from apps.tenancy.models import Administration
from tests.exchange.conftest import form_data

pytestmark = pytest.mark.django_db
SignedIn = Callable[..., Client]


def secret_on(page: str) -> str:
    match = re.search(r'id="signing-secret"[^>]*value="(whsec_[^"]+)"', page)
    assert match, page
    return match.group(1)


def test_the_menu_links_to_the_partner_pages_for_rilo_staff(signed_in: SignedIn, grace: User, erin: User) -> None:
    for user in (grace, erin):
        page = signed_in(user).get(reverse("core:home")).content.decode()
        assert f'href="{reverse("exchange:partner_list")}"' in page


def test_the_list_shows_only_the_partners_of_the_users_rilo(
    signed_in: SignedIn, grace: User, erin: User, farid: User, we_partner: PartnerSystem, cis_partner: PartnerSystem
) -> None:
    for user in (grace, erin):
        page = signed_in(user).get(reverse("exchange:partner_list")).content.decode()
        assert "WCO CEN" in page and "CIS national" not in page
    page = signed_in(farid).get(reverse("exchange:partner_list")).content.decode()
    assert "CIS national" in page and "WCO CEN" not in page


def test_an_administrator_creates_a_partner_and_sees_its_secret_once(
    signed_in: SignedIn, grace: User, region_we: object
) -> None:
    client = signed_in(grace)
    response = client.post(reverse("exchange:partner_create"), form_data(account_username="cisplus"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = secret_on(response.content.decode())
    Webhook(secret)  # a usable Standard Webhooks secret

    partner = PartnerSystem.objects.get(name="OLAF CIS+")
    assert partner.region == region_we  # the actor's RILO, never input
    assert partner.signing_secrets() == [secret]
    assert secret not in partner.signing_secret_encrypted and "partner-given-token" not in partner.credentials_encrypted
    assert partner.credentials == {"token": "partner-given-token"}
    assert partner.account is not None and partner.account.role == Role.PARTNER_SYSTEM
    assert partner.account.username == "cisplus"
    for url in (
        reverse("exchange:partner_detail", args=[partner.pk]),
        reverse("exchange:partner_edit", args=[partner.pk]),
    ):
        page = client.get(url).content.decode()
        assert secret not in page and "partner-given-token" not in page


@override_settings(RILO_ALLOW_PRIVATE_ENDPOINTS=False)
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://203.0.113.50/hook", "Partner endpoints must use HTTPS; http://203.0.113.50/hook does not."),
        ("https://10.0.0.8/hook", "The endpoint host 10.0.0.8 resolves to 10.0.0.8, a private address"),
        ("https://127.0.0.1/hook", "a loopback address; partner endpoints must be public addresses."),
    ],
)
def test_a_plain_http_or_private_endpoint_is_refused_beside_the_field_keeping_what_was_typed(
    signed_in: SignedIn, grace: User, url: str, message: str
) -> None:
    response = signed_in(grace).post(reverse("exchange:partner_create"), form_data(endpoint_url=url))
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors["endpoint_url"])
    page = response.content.decode()
    assert "There is a problem" in page and 'href="#id_endpoint_url"' in page
    assert f'value="{url}"' in page and 'value="OLAF CIS+"' in page and 'value="partner-given-token"' in page
    assert not PartnerSystem.objects.exists()


def test_a_missing_name_and_a_bad_inbound_secret_are_shown_beside_their_fields(
    signed_in: SignedIn, grace: User
) -> None:
    response = signed_in(grace).post(
        reverse("exchange:partner_create"), form_data(name="", inbound_secret="not a secret")
    )
    assert response.context["form"].errors["name"] == ["This field is required."]
    response = signed_in(grace).post(reverse("exchange:partner_create"), form_data(inbound_secret="not a secret"))
    assert response.context["form"].errors["inbound_secret"] == [
        "Paste the secret exactly as the partner gave it: whsec_ followed by base64 text."
    ]
    assert not PartnerSystem.objects.exists()


def test_a_peer_can_only_speak_for_an_administration_of_the_actors_rilo(
    signed_in: SignedIn, grace: User, france: Administration, kazakhstan: Administration
) -> None:
    response = signed_in(grace).post(
        reverse("exchange:partner_create"), form_data(source_administration=str(kazakhstan.pk))
    )
    assert "Select a valid choice" in response.context["form"].errors["source_administration"][0]
    response = signed_in(grace).post(
        reverse("exchange:partner_create"), form_data(source_administration=str(france.pk))
    )
    assert response.status_code == 200
    assert PartnerSystem.objects.get(name="OLAF CIS+").source_administration == france


def test_an_analyst_sees_a_partner_but_may_not_change_it(
    signed_in: SignedIn, erin: User, we_partner: PartnerSystem
) -> None:
    client = signed_in(erin)
    page = client.get(reverse("exchange:partner_detail", args=[we_partner.pk])).content.decode()
    assert "WCO CEN" in page and "Rotate the secret" not in page and "Pause deliveries" not in page
    assert client.get(reverse("exchange:partner_edit", args=[we_partner.pk])).status_code == 403
    assert client.get(reverse("exchange:partner_create")).status_code == 404
    response = client.post(reverse("exchange:partner_state", args=[we_partner.pk]), {"state": "paused", "reason": "x"})
    assert response.status_code == 403
    we_partner.refresh_from_db()
    assert we_partner.state == PartnerState.ACTIVE


def test_editing_keeps_stored_secrets_unless_new_ones_are_typed(
    signed_in: SignedIn, grace: User, we_partner: PartnerSystem
) -> None:
    client = signed_in(grace)
    url = reverse("exchange:partner_edit", args=[we_partner.pk])
    initial = client.get(url).context["form"].initial
    data = form_data(
        name="WCO CEN (production)",
        endpoint_url="http://127.0.0.1:9/cen",  # same host: stored credentials may stay
        auth="keep",
        token="",
        max_in_flight="8",
        state="active",
        state_reason="",
    )
    data.pop("account_username")
    assert initial["name"] == "WCO CEN"
    response = client.post(url, data)
    assert response.status_code == 302
    we_partner.refresh_from_db()
    assert (we_partner.name, we_partner.endpoint_url, we_partner.max_in_flight) == (
        "WCO CEN (production)",
        "http://127.0.0.1:9/cen",
        8,
    )
    assert we_partner.credentials == {}
    secret = "whsec_" + "c2VjcmV0LWZyb20tdGhlLXBhcnRuZXI="
    client.post(url, {**data, "auth": "basic", "username": "rilo", "password": "pw", "inbound_secret": secret})
    we_partner.refresh_from_db()
    assert we_partner.credentials == {"username": "rilo", "password": "pw"}
    assert crypto.decrypt(we_partner.inbound_secret_encrypted) == secret
    client.post(url, {**data, "auth": "keep"})
    we_partner.refresh_from_db()
    assert we_partner.credentials == {"username": "rilo", "password": "pw"}
    assert crypto.decrypt(we_partner.inbound_secret_encrypted) == secret


def test_pausing_needs_a_reason_and_resuming_restores_deliveries(
    signed_in: SignedIn, grace: User, we_partner: PartnerSystem
) -> None:
    client = signed_in(grace)
    url = reverse("exchange:partner_state", args=[we_partner.pk])
    response = client.post(url, {"state": "paused", "reason": ""}, follow=True)
    assert "Say why the partner is paused." in response.content.decode()
    we_partner.refresh_from_db()
    assert we_partner.state == PartnerState.ACTIVE

    client.post(url, {"state": "paused", "reason": "Partner maintenance window"})
    we_partner.refresh_from_db()
    assert (we_partner.state, we_partner.state_reason) == (PartnerState.PAUSED, "Partner maintenance window")
    page = client.get(reverse("exchange:partner_detail", args=[we_partner.pk])).content.decode()
    assert "Partner maintenance window" in page and "Resume deliveries" in page

    client.post(url, {"state": "active"})
    we_partner.refresh_from_db()
    assert we_partner.state == PartnerState.ACTIVE


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_one_during_the_overlap(
    signed_in: SignedIn, grace: User, we_partner: PartnerSystem
) -> None:
    old = we_partner.signing_secrets()
    response = signed_in(grace).post(
        reverse("exchange:partner_rotate_secret", args=[we_partner.pk]), {"overlap_hours": "12"}
    )
    assert response["Cache-Control"] == "no-store"
    new = secret_on(response.content.decode())
    we_partner.refresh_from_db()
    assert we_partner.signing_secrets() == [new, *old]
    assert "The previous secret keeps signing messages until" in response.content.decode()


def test_an_administrator_issues_a_token_for_the_partners_own_account(
    signed_in: SignedIn, grace: User, we_partner: PartnerSystem, ivan: User
) -> None:
    we_partner.account = ivan
    we_partner.save()
    response = signed_in(grace).post(
        reverse("exchange:partner_token", args=[we_partner.pk]), {"name": "feed", "scopes": ["read"], "days": "30"}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    token = ivan.api_tokens.get()
    assert token.scopes == ["read"]
    assert f'value="rilo_{token.prefix}_' in response.content.decode()
