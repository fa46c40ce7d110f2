"""Every API error answers {"type", "message", "details"} with the right status and headers."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings
from rest_framework.settings import api_settings

from apps.accounts.models import ApiToken
from apps.core.api.throttling import AccountRateThrottle
from tests.helpers import bearer

TOKENS = "/api/v1/accounts/tokens/"


def assert_error_shape(response, status: int, type_: str | None = None) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"type", "message", "details"}
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    if type_:
        assert body["type"] == type_
    return body


@pytest.fixture
def cora_token(cora, issue_token) -> dict[str, str]:
    return bearer(issue_token(cora, "read", "write"))


def test_invalid_fields_are_named_in_details(api, nsys, cora_token):
    response = api.post(TOKENS, {"user": "nsys", "scopes": ["admin"]}, format="json", **cora_token)
    body = assert_error_shape(response, 400, "invalid")
    assert set(body["details"]) == {"name", "scopes"}
    assert body["details"]["name"] == ["This field is required."]


def test_malformed_json_is_a_400_with_a_clear_message(api, cora_token):
    response = api.post(TOKENS, '{"name": ', content_type="application/json", **cora_token)
    body = assert_error_shape(response, 400, "parse_error")
    assert "malformed JSON (line 1, column 10)" in body["message"]


def test_a_body_over_one_megabyte_is_a_413_in_json(api, cora_token, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1024 * 1024
    big = json.dumps({"name": "x" * (1024 * 1024)})
    response = api.post(TOKENS, big, content_type="application/json", **cora_token)
    body = assert_error_shape(response, 413, "request_too_large")
    assert "1048576 bytes" in body["message"]


def test_the_json_parser_enforces_the_limit_by_itself(cora_token, rf):
    """Called without the middleware (as for a chunked body, which declares no length), the parser counts."""
    from apps.accounts.api.views import ApiTokenViewSet

    request = rf.post(TOKENS, json.dumps({"name": "x" * (1024 * 1024)}), content_type="application/json", **cora_token)
    response = ApiTokenViewSet.as_view({"post": "create"})(request)
    response.render()
    assert response.status_code == 413
    assert json.loads(response.content)["type"] == "request_too_large"


def test_an_unsupported_media_type_is_a_415(api, cora_token):
    response = api.post(TOKENS, "name=x", content_type="application/x-www-form-urlencoded", **cora_token)
    assert_error_shape(response, 415, "unsupported_media_type")


def test_an_unknown_object_is_a_404(api, cora_token, alice, issue_token):
    response = api.get(f"{TOKENS}999999/", **cora_token)
    assert_error_shape(response, 404, "not_found")


def test_another_tenants_object_is_a_404_not_a_403(api, bob, issue_token, cora_token):
    issue_token(bob)
    response = api.get(f"{TOKENS}{ApiToken.objects.get(user=bob).pk}/", **cora_token)
    assert_error_shape(response, 404, "not_found")


def test_an_unknown_api_path_is_a_json_404_with_a_hint(api, db):
    body = assert_error_shape(api.get("/api/v1/nothing-here/"), 404, "not_found")
    assert "/api/v1/nothing-here/" in body["message"]
    body = assert_error_shape(api.get("/api/v1/me"), 404, "not_found")
    assert "Did you mean /api/v1/me/ ?" in body["message"]
    assert_error_shape(api.get("/api/v2/"), 404)


def test_a_404_outside_the_api_is_still_a_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_unsupported_method_is_a_405_with_allow(api, alice, issue_token):
    response = api.delete("/api/v1/me/", **bearer(issue_token(alice, "read", "write")))
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_conflict_is_a_409(api, alice, cora, cora_token, issue_token):
    issue_token(alice)
    url = f"{TOKENS}{ApiToken.objects.get(user=alice).pk}/revoke/"
    assert api.post(url, **cora_token).status_code == 200
    body = assert_error_shape(api.post(url, **cora_token), 409, "token_revoked")
    assert "revoked_at" in body["details"]


def test_no_credentials_is_401_and_missing_capability_is_403(api, ivan, issue_token):
    assert_error_shape(api.get(TOKENS), 401, "not_authenticated")
    response = api.get(TOKENS, **bearer(issue_token(ivan, "read")))
    assert_error_shape(response, 403, "permission_denied")
    assert "WWW-Authenticate" not in response


def test_too_many_requests_is_a_429_with_retry_after(api, alice, issue_token):
    plaintext = issue_token(alice)
    AccountRateThrottle.reset(alice.pk)
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "account": "2/min"}
    with override_settings(REST_FRAMEWORK={**_rest_framework_settings(), "DEFAULT_THROTTLE_RATES": rates}):
        assert api.get("/api/v1/me/", **bearer(plaintext)).status_code == 200
        assert api.get("/api/v1/me/", **bearer(plaintext)).status_code == 200
        response = api.get("/api/v1/me/", **bearer(plaintext))
    body = assert_error_shape(response, 429, "throttled")
    assert 29 <= int(response["Retry-After"]) <= 30  # 2/min: one more every 30 seconds
    assert "seconds" in body["message"] or "second" in body["message"]
    AccountRateThrottle.reset(alice.pk)


def _rest_framework_settings() -> dict:
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)


@override_settings(ROOT_URLCONF="tests.core.api.urls_failing")
def test_a_server_error_under_the_api_is_a_json_500_with_the_request_id(db):
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/failing/", HTTP_X_REQUEST_ID="req-12345678")
    body = assert_error_shape(response, 500, "server_error")
    assert body["details"] == {"request_id": "req-12345678"}


def test_asking_for_a_format_other_than_json_is_a_406_in_json(api, alice, issue_token):
    response = api.get("/api/v1/me/", HTTP_ACCEPT="text/html", **bearer(issue_token(alice)))
    assert_error_shape(response, 406, "not_acceptable")


def test_a_bad_host_under_the_api_is_a_json_400(api, db):
    assert_error_shape(api.get("/api/v1/me/", HTTP_HOST="evil.example"), 400, "bad_request")


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deeply_nested_json_is_a_400_in_the_api_error_shape_not_a_500(api, cora_token, opener):
    body = opener * 100_000
    response = api.post(TOKENS, body, content_type="application/json", **cora_token)
    error = assert_error_shape(response, 400, "parse_error")
    assert "nested too deeply" in error["message"]


@pytest.mark.django_db
def test_a_null_character_in_a_filter_is_a_clear_400_naming_the_parameter(api, erin, issue_token):
    response = api.get(
        "/api/v1/reference/commodity-categories/", {"parent": "to\x00bacco"}, **bearer(issue_token(erin, "read"))
    )
    assert response.status_code == 400
    assert response.json()["details"] == {"parent": ["Null characters are not allowed."]}


def test_a_413_follows_accept_language(api, cora_token):
    """The size check runs after LocaleMiddleware: its refusal is in the client's language, as every API error."""
    big = json.dumps({"name": "x" * (1024 * 1024)})
    response = api.post(TOKENS, big, content_type="application/json", HTTP_ACCEPT_LANGUAGE="fr", **cora_token)
    body = assert_error_shape(response, 413, "request_too_large")
    assert body["message"] == "Le corps de la requête dépasse la limite de 1048576 octets."


def test_the_size_check_comes_after_the_locale_middleware(settings):
    order = settings.MIDDLEWARE
    assert order.index("django.middleware.locale.LocaleMiddleware") < order.index(
        "apps.core.middleware.ApiBodySizeLimitMiddleware"
    )


@pytest.mark.parametrize(
    ("body", "language", "expected"),
    [
        ('{"name": ', "fr", "Le corps de la requête n'a pas pu être analysé : JSON mal formé (ligne 1, colonne 10)"),
        (
            '{"name": NaN}',
            "es",
            "No se pudo analizar el cuerpo de la solicitud: JSON mal formado (NaN no es un valor JSON)",
        ),
        ("[" * 100_000, "ru", "Не удалось разобрать тело запроса: неверный JSON (слишком глубокая вложенность)"),  # noqa: RUF001
    ],
    ids=["position-fr", "constant-es", "depth-ru"],
)
def test_a_malformed_body_is_told_in_the_clients_language(api, cora_token, body, language, expected):
    response = api.post(TOKENS, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language, **cora_token)
    assert assert_error_shape(response, 400, "parse_error")["message"] == expected


def test_a_body_that_is_not_text_in_its_encoding_is_a_400(api, cora_token):
    response = api.post(TOKENS, b'{"name": "\xff"}', content_type="application/json", **cora_token)
    body = assert_error_shape(response, 400, "parse_error")
    assert body["message"] == "The request body could not be parsed: not text in utf-8"
