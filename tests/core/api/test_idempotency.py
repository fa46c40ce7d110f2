"""Idempotency-Key on POST /api/v1/accounts/tokens/: retries get the first answer, never a second token."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.viewsets import ViewSet

from apps.accounts.models import ApiToken
from apps.accounts.roles import Role
from apps.core.api.idempotency import IdempotentCreateMixin, _key_digest
from apps.core.models import IdempotencyRecord
from apps.core.services import idempotency_claim, idempotency_purge_expired
from tests.factories import UserFactory
from tests.helpers import bearer

TOKENS = "/api/v1/accounts/tokens/"
BODY = {"user": "nsys", "name": "nCEN import", "scopes": ["read"], "expires_in_days": 30}


@pytest.fixture
def cora_auth(cora, issue_token) -> dict[str, str]:
    return bearer(issue_token(cora, "read", "write", name="cora's script"))


def post(api, auth, body=BODY, key="key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(TOKENS, body, format="json", **auth, **headers)


def test_a_retry_with_the_same_key_and_body_gets_the_stored_response(api, nsys, cora_auth):
    first = post(api, cora_auth)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    second = post(api, cora_auth)
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert ApiToken.objects.filter(user=nsys).count() == 1
    # the replayed plaintext is the real token
    assert api.get("/api/v1/me/", **bearer(second.json()["token"])).json()["username"] == "nsys"


def test_without_a_key_each_post_creates_a_token(api, nsys, cora_auth):
    post(api, cora_auth, key=None)
    post(api, cora_auth, key=None)
    assert ApiToken.objects.filter(user=nsys).count() == 2


def test_the_same_key_with_another_body_is_a_422(api, nsys, cora_auth):
    assert post(api, cora_auth).status_code == 201
    response = post(api, cora_auth, body={**BODY, "name": "something else"})
    assert response.status_code == 422
    assert response.json()["type"] == "idempotency_key_reused"
    assert ApiToken.objects.filter(user=nsys).count() == 1


def test_a_duplicate_while_the_first_request_runs_is_a_409(api, nsys, cora, cora_auth):
    # The first request has claimed the key and not finished, as it would mid-flight.
    import hashlib

    body = json.dumps(BODY).encode()
    idempotency_claim(
        user=cora,
        key=_key_digest("key-1"),
        method="POST",
        path=TOKENS,
        request_hash=hashlib.sha256(body).hexdigest(),
    )
    response = api.post(TOKENS, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-1", **cora_auth)
    assert response.status_code == 409
    assert response.json()["type"] == "idempotency_in_progress"
    assert not ApiToken.objects.filter(user=nsys).exists()


def test_an_abandoned_attempt_is_taken_over_after_its_lease(api, nsys, cora, cora_auth, settings):
    import hashlib

    body = json.dumps(BODY).encode()
    record, _ = idempotency_claim(
        user=cora, key=_key_digest("key-1"), method="POST", path=TOKENS, request_hash=hashlib.sha256(body).hexdigest()
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        locked_at=timezone.now() - timedelta(seconds=settings.RILO_IDEMPOTENCY_LEASE_SECONDS + 1)
    )
    response = api.post(TOKENS, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-1", **cora_auth)
    assert response.status_code == 201


def test_keys_belong_to_one_account(api, nsys, cora_auth, france, issue_token):
    # cleo, another coordinator of French Customs, may issue for the French national system too; the same key
    # string is hers to use.
    assert post(api, cora_auth).status_code == 201
    cleo = UserFactory.create(username="cleo", role=Role.NATIONAL_COORDINATOR, administration=france)
    cleo_auth = bearer(issue_token(cleo, "read", "write"))
    response = post(api, cleo_auth)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert response.json()["user"] == "nsys" and response.json()["created_by"] == "cleo"


def test_a_refused_request_is_replayed_too(api, nsys, cora_auth):
    invalid = {**BODY, "scopes": []}
    first = post(api, cora_auth, body=invalid)
    assert first.status_code == 400
    again = post(api, cora_auth, body=invalid)
    assert again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_key_longer_than_255_characters_is_a_400(api, nsys, cora_auth):
    response = post(api, cora_auth, key="k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["details"]
    assert post(api, cora_auth, key="k" * 255).status_code == 201


def test_a_refused_key_is_told_in_the_clients_language(api, nsys, cora_auth):
    response = post(api, {**cora_auth, "HTTP_ACCEPT_LANGUAGE": "ru"}, key="k" * 256)
    assert response.json()["details"] == {"Idempotency-Key": ["Отправьте от 1 до 255 символов."]}


def test_the_stored_response_does_not_reveal_the_token(api, nsys, cora_auth):
    response = post(api, cora_auth)
    plaintext = response.json()["token"]
    record = IdempotencyRecord.objects.get()
    assert plaintext not in record.response_body
    assert "key-1" not in record.key
    assert record.response_status == 201


def test_records_expire_after_a_day(api, nsys, cora_auth):
    post(api, cora_auth)
    assert idempotency_purge_expired() == 0
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    # An expired key starts afresh rather than replaying.
    response = post(api, cora_auth)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert ApiToken.objects.filter(user=nsys).count() == 2
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_purge_expired() == 1
    assert not IdempotencyRecord.objects.exists()


class CountingViewSet(ViewSet):
    calls = 0

    def create(self, request):
        type(self).calls += 1
        return Response({"call": type(self).calls}, status=201)


class IdempotentCountingViewSet(IdempotentCreateMixin, CountingViewSet):
    """A viewset made idempotent by the mixin alone."""


def test_the_mixin_makes_any_viewsets_create_idempotent(alice):
    IdempotentCountingViewSet.calls = 0
    view = IdempotentCountingViewSet.as_view({"post": "create"})
    factory = APIRequestFactory()

    def send(key: str):
        request = factory.post("/counting/", {"a": 1}, format="json", HTTP_IDEMPOTENCY_KEY=key)
        force_authenticate(request, user=alice)
        response = view(request)
        return response.render() if hasattr(response, "render") else response  # a replay is already bytes

    first, second, other = send("m-1"), send("m-1"), send("m-2")
    assert json.loads(first.content) == json.loads(second.content) == {"call": 1}
    assert json.loads(other.content) == {"call": 2}
    assert IdempotentCountingViewSet.calls == 2
