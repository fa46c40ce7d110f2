"""API token pages under /accounts/tokens/: who may list, issue and revoke, the token shown once."""

from __future__ import annotations

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import ApiToken
from apps.accounts.roles import Role
from apps.exchange.models import PartnerSystem
from tests.factories import UserFactory
from tests.helpers import bearer, sign_in

LIST, NEW = "/accounts/tokens/", "/accounts/tokens/new/"


def revoke_url(token: ApiToken) -> str:
    return f"/accounts/tokens/{token.pk}/revoke/"


def sign_in_verified(client, user) -> None:
    """Signed in with a confirmed TOTP device, as after entering a code."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def test_a_coordinator_lists_only_her_administrations_tokens(client, alice, bob, cora, issue_token):
    issue_token(alice, name="alice-sync")
    issue_token(bob, name="bob-sync")
    sign_in(client, cora)
    page = client.get(LIST).content.decode()
    assert "alice-sync" in page and "bob-sync" not in page
    assert f'href="{NEW}"' in page


@pytest.mark.parametrize("url", [LIST, NEW])
def test_partner_systems_get_404(client, ivan, url):
    client.force_login(ivan)
    assert client.get(url).status_code == 404


def test_an_officer_lists_only_her_own_tokens(client, alice, cora, issue_token):
    issue_token(alice, name="alice-sync")
    issue_token(cora, name="cora-sync")
    sign_in(client, alice, verified=True)
    page = client.get(LIST).content.decode()
    assert "alice-sync" in page and "cora-sync" not in page


def test_a_coordinator_issues_a_token_that_is_shown_once(api, client, alice, cora, nsys):
    sign_in(client, cora)
    form = client.get(NEW).content.decode()
    assert 'value="nsys"' in form and 'value="cora"' in form
    assert 'value="alice"' not in form and 'value="bob"' not in form
    assert 'for="id_name"' in form and "<legend>" in form
    response = client.post(
        NEW, {"user": "nsys", "name": "nCEN import", "scopes": ["read", "write"], "expires_in_days": 30}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get()
    plaintext = response.context["plaintext"]
    assert plaintext.startswith(f"rilo_{token.prefix}_") and plaintext in response.content.decode()
    assert (token.user, token.name, token.scopes, token.created_by) == (nsys, "nCEN import", ["read", "write"], cora)
    assert plaintext not in client.get(LIST).content.decode()
    assert token.display_prefix in client.get(LIST).content.decode()
    assert api.get("/api/v1/me/", **bearer(plaintext)).json()["username"] == "nsys"


def test_errors_are_summarised_and_shown_beside_fields_and_nothing_typed_is_lost(client, bob, cora):
    sign_in(client, cora)
    response = client.post(NEW, {"user": "bob", "name": "my script", "expires_in_days": 30})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#id_user"' in page and 'href="#id_scopes_0"' in page
    assert 'id="id_user_error"' in page and 'aria-invalid="true"' in page
    assert 'value="my script"' in page
    assert not ApiToken.objects.exists()


def test_rilo_staff_must_verify_two_factor_first(client, grace):
    client.force_login(grace)
    response = client.get(NEW)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/setup/")


def test_a_rilo_administrator_manages_her_regions_tokens_only(client, region_we, dmitri, grace, issue_token):
    cen = UserFactory.create(username="cen", role=Role.PARTNER_SYSTEM)
    PartnerSystem.objects.create(name="CEN", region=region_we, endpoint_url="https://cen.example.org/", account=cen)
    issue_token(dmitri, name="kz-sync")
    sign_in_verified(client, grace)
    response = client.post(NEW, {"user": "cen", "name": "cen-feed", "scopes": ["read"], "expires_in_days": 7})
    assert response.status_code == 200 and ApiToken.objects.filter(user=cen).exists()
    assert "kz-sync" not in client.get(LIST).content.decode()
    kz_token = ApiToken.objects.get(user=dmitri)
    assert client.get(revoke_url(kz_token)).status_code == 404
    assert client.post(revoke_url(kz_token)).status_code == 404
    assert ApiToken.objects.get(user=dmitri).revoked_at is None


def test_revoking_asks_for_confirmation_then_stops_the_token(api, client, alice, cora, issue_token):
    plaintext = issue_token(alice, name="old")
    token = ApiToken.objects.get()
    sign_in(client, cora)
    assert "Revoke the token" in client.get(revoke_url(token)).content.decode()
    response = client.post(revoke_url(token), follow=True)
    assert "is revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == cora
    assert api.get("/api/v1/me/", **bearer(plaintext)).json()["type"] == "token_revoked"
    again = client.post(revoke_url(token), follow=True)
    assert "already revoked" in again.content.decode()


def test_an_auditor_sees_tokens_but_may_issue_only_her_own_and_revoke_none_of_others(client, alice, hugo, issue_token):
    issue_token(alice, name="alice-sync")
    sign_in_verified(client, hugo)
    page = client.get(LIST).content.decode()
    assert "alice-sync" in page and "Revoke" not in page
    form = client.get(NEW).content.decode()
    assert 'value="hugo"' in form and 'value="alice"' not in form
    assert client.get(revoke_url(ApiToken.objects.get())).status_code == 404


def test_the_menu_offers_api_tokens_to_every_person(client, alice, cora):
    sign_in(client, cora)
    assert f'href="{LIST}"' in client.get("/").content.decode()
    client.force_login(alice)
    assert f'href="{LIST}"' in client.get("/").content.decode()
