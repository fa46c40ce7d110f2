"""API tokens: issuing, bearer authentication, expiry, revocation, last use and scopes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.viewsets import ViewSet

from apps.accounts.models import ApiToken
from apps.accounts.roles import Role
from apps.accounts.services import token_issue, token_revoke
from apps.core.api.permissions import RequiredScopeMixin
from apps.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied
from tests.factories import UserFactory
from tests.helpers import bearer

ME = "/api/v1/me/"


def test_an_issued_token_is_shown_once_and_stored_only_as_a_hash(alice):
    token, plaintext = token_issue(
        user=alice,
        name="nCEN",
        scopes=["write", "read"],
        expires_at=timezone.now() + timedelta(days=5),
        actor=alice,
        two_factor_verified=True,
    )
    tag, prefix, secret = plaintext.split("_", 2)
    assert (tag, prefix) == ("rilo", token.prefix)
    assert len(prefix) == 8 and len(secret) >= 40
    assert token.scopes == ["read", "write"]
    assert token.created_by == alice
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert plaintext not in {str(value) for value in stored.values()}
    assert secret not in str(stored)


def test_it_authenticates_a_bearer_token_as_its_account(api, alice, issue_token):
    response = api.get(ME, **bearer(issue_token(alice, "read")))
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_an_expired_token_is_refused_with_a_clear_401(api, alice, issue_token):
    plaintext = issue_token(alice)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.get(ME, **bearer(plaintext))
    assert response.status_code == 401
    body = response.json()
    assert (body["type"], body["message"]) == ("token_expired", "token expired")
    assert "expired_at" in body["details"]
    assert response["WWW-Authenticate"].startswith('Bearer realm="api"')
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_revoked_token_is_refused_with_a_clear_401(api, alice, cora, issue_token):
    plaintext = issue_token(alice)
    token_revoke(token=ApiToken.objects.get(), actor=cora)
    response = api.get(ME, **bearer(plaintext))
    assert response.status_code == 401
    assert (response.json()["type"], response.json()["message"]) == ("token_revoked", "token revoked")


@pytest.mark.parametrize(
    "header",
    ["Bearer rilo_abcdefgh_not-the-secret", "Bearer nonsense", "Bearer a b", "Bearer "],
)
def test_an_unknown_or_malformed_token_is_a_401(api, alice, issue_token, header):
    issue_token(alice)
    response = api.get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["type"] == "token_invalid"


def test_a_tampered_secret_is_refused_even_with_a_real_prefix(api, alice, issue_token):
    plaintext = issue_token(alice)
    response = api.get(ME, **bearer(plaintext[:-2] + ("xx" if not plaintext.endswith("xx") else "yy")))
    assert response.status_code == 401


def test_a_deactivated_accounts_token_is_refused(api, alice, issue_token):
    plaintext = issue_token(alice)
    alice.is_active = False
    alice.save()
    assert api.get(ME, **bearer(plaintext)).status_code == 401


def test_no_credentials_is_a_401_with_a_bearer_challenge(api, db):
    response = api.get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["type"] == "not_authenticated"


def test_last_use_is_recorded_at_most_once_a_minute(api, alice, issue_token):
    plaintext = issue_token(alice)
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    api.get(ME, **bearer(plaintext))
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    api.get(ME, **bearer(plaintext))
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - timedelta(seconds=61))
    api.get(ME, **bearer(plaintext))
    last_used = ApiToken.objects.get().last_used_at
    assert last_used is not None and last_used > first


def test_a_read_only_token_may_not_write(api, alice, cora, issue_token):
    response = api.post(
        "/api/v1/accounts/tokens/",
        {"user": "alice", "name": "x", "scopes": ["read"]},
        format="json",
        **bearer(issue_token(cora, "read")),
    )
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "insufficient_scope"
    assert body["details"] == {"required_scope": "write"}
    assert 'error="insufficient_scope", scope="write"' in response["WWW-Authenticate"]


def test_a_write_only_token_may_not_read(api, alice, issue_token):
    response = api.get(ME, **bearer(issue_token(alice, "write")))
    assert response.status_code == 403
    assert response.json()["details"] == {"required_scope": "read"}


class ReviewLikeViewSet(RequiredScopeMixin, ViewSet):
    """Stands for a later workflow endpoint: its approve action declares the review scope."""

    def list(self, request):
        return Response({"ok": True})

    @action(detail=False, methods=["post"], required_scope="review")
    def approve(self, request):
        return Response({"approved": True})


@pytest.mark.parametrize(("scopes", "status"), [(("read", "write"), 403), (("review",), 200)])
def test_an_action_declaring_the_review_scope_needs_a_review_token(alice, issue_token, scopes, status):
    # As a router builds it: the action's arguments become view attributes.
    view = ReviewLikeViewSet.as_view({"post": "approve"}, **ReviewLikeViewSet.approve.kwargs)
    request = APIRequestFactory().post("/approve/", {}, format="json", **bearer(issue_token(alice, *scopes)))
    assert view(request).status_code == status


def test_session_authentication_is_not_limited_by_scopes(api, alice):
    api.force_login(alice)
    assert api.get(ME).status_code == 200


def test_coordinators_issue_tokens_only_for_their_administrations_system_accounts(cora, nsys, germany):
    expires = timezone.now() + timedelta(days=1)
    token, _ = token_issue(user=nsys, name="ok", scopes=["read"], expires_at=expires, actor=cora)
    assert token.user == nsys
    german_system = UserFactory.create(username="desys", role=Role.PARTNER_SYSTEM, administration=germany)
    with pytest.raises(NotFound):
        token_issue(user=german_system, name="no", scopes=["read"], expires_at=expires, actor=cora)


def test_officers_may_not_issue_tokens_for_others(alice, nsys):
    with pytest.raises(PermissionDenied):
        token_issue(user=nsys, name="x", scopes=["read"], expires_at=timezone.now() + timedelta(days=1), actor=alice)


@pytest.mark.parametrize(
    ("scopes", "days", "field"),
    [([], 1, "scopes"), (["admin"], 1, "scopes"), (["read"], -1, "expires_at"), (["read"], 400, "expires_at")],
)
def test_issuing_checks_scopes_and_expiry(cora, nsys, scopes, days, field):
    with pytest.raises(ApplicationError) as caught:
        token_issue(user=nsys, name="x", scopes=scopes, expires_at=timezone.now() + timedelta(days=days), actor=cora)
    assert field in caught.value.extra


def test_a_token_may_not_grant_scopes_it_lacks(cora, nsys):
    with pytest.raises(PermissionDenied) as caught:
        token_issue(
            user=nsys,
            name="x",
            scopes=["read", "review"],
            expires_at=timezone.now() + timedelta(days=1),
            actor=cora,
            allowed_scopes={"read", "write"},
        )
    assert "scopes" in caught.value.extra


def test_revoking_twice_is_a_conflict_and_others_tokens_are_not_found(alice, bob, cora, issue_token):
    issue_token(alice)
    issue_token(bob)
    alices, bobs = ApiToken.objects.get(user=alice), ApiToken.objects.get(user=bob)
    token_revoke(token=alices, actor=cora)
    with pytest.raises(Conflict):
        token_revoke(token=alices, actor=cora)
    with pytest.raises(NotFound):
        token_revoke(token=bobs, actor=cora)


def test_the_command_prints_a_working_token_once(api, alice, capsys):
    call_command("issue_api_token", "alice", "--scopes", "read,write", "--name", "script", "--days", "3")
    out, err = capsys.readouterr()
    plaintext = out.strip()
    assert plaintext.startswith("rilo_") and plaintext not in err
    token = ApiToken.objects.get()
    assert (token.name, token.scopes, token.created_by) == ("script", ["read", "write"], None)
    assert timedelta(days=2, hours=23) < token.expires_at - timezone.now() <= timedelta(days=3)
    assert api.get(ME, **bearer(plaintext)).status_code == 200


def test_the_command_refuses_unknown_accounts_and_scopes(alice):
    with pytest.raises(CommandError):
        call_command("issue_api_token", "nobody")
    with pytest.raises(CommandError):
        call_command("issue_api_token", "alice", "--scopes", "root")
