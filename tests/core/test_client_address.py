"""The client's address behind trusted proxies: the lockout and the API throttles never take the proxy's
address for the client's, and a forged X-Forwarded-For changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from apps.accounts.models import User
from apps.core.api.throttling import AnonymousRateThrottle
from apps.core.client_address import client_address
from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
PROXY = "10.0.0.2"
CLIENT_A = "203.0.113.5"
CLIENT_B = "198.51.100.7"


def _request(remote: str, forwarded: str | None = None):
    headers: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, CLIENT_A, None, CLIENT_A),
        (0, CLIENT_A, "1.2.3.4", CLIENT_A),  # no proxy trusted: the header is the client's own word
        (1, PROXY, CLIENT_A, CLIENT_A),
        (1, PROXY, f"1.2.3.4, {CLIENT_A}", CLIENT_A),  # forged leftmost entry ignored
        (1, PROXY, f"1.2.3.4, 5.6.7.8, {CLIENT_A}", CLIENT_A),
        (2, PROXY, f"1.2.3.4, {CLIENT_A}, 10.0.0.9", CLIENT_A),
        (1, PROXY, None, PROXY),  # not through the proxy: only the peer is known
        (2, PROXY, CLIENT_A, PROXY),  # fewer hops than trusted proxies
        (1, PROXY, "not-an-address", PROXY),
    ],
)
def test_the_client_address_is_the_nth_forwarded_address_from_the_right(settings, count, remote, forwarded, expected):
    settings.RILO_TRUSTED_PROXY_COUNT = count
    assert client_address(_request(remote, forwarded)) == expected


def _through_proxy(client_ip: str, forged: str = "") -> dict[str, Any]:
    """What gunicorn sees behind one nginx that appends the address it saw to X-Forwarded-For."""
    forwarded = f"{forged}, {client_ip}" if forged else client_ip
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def _fail_login(client: Client, **meta: Any) -> int:
    return client.post(LOGIN, {"username": "alice", "password": "wrong-password"}, **meta).status_code


def test_behind_the_proxy_a_client_locked_out_does_not_lock_out_the_others(settings, alice: User) -> None:
    settings.RILO_TRUSTED_PROXY_COUNT = 1
    client = Client()
    statuses = [_fail_login(client, **_through_proxy(CLIENT_A, forged=f"192.0.2.{n}")) for n in range(5)]
    assert statuses[-1] == 429
    # The same client, however it forges the leftmost X-Forwarded-For, stays locked out ...
    right = {"username": "alice", "password": PASSWORD}
    assert client.post(LOGIN, right, **_through_proxy(CLIENT_A, forged="192.0.2.99")).status_code == 429
    # ... and another client behind the same proxy is not locked out by it.
    assert Client().post(LOGIN, right, **_through_proxy(CLIENT_B)).status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_address_does_not_escape_the_lockout(settings, alice: User) -> None:
    settings.RILO_TRUSTED_PROXY_COUNT = 0
    client = Client()
    statuses = [_fail_login(client, REMOTE_ADDR=CLIENT_A, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}") for n in range(5)]
    assert statuses[-1] == 429
    right = {"username": "alice", "password": PASSWORD}
    forged: dict[str, Any] = {"REMOTE_ADDR": CLIENT_A, "HTTP_X_FORWARDED_FOR": CLIENT_B}
    assert client.post(LOGIN, right, **forged).status_code == 429


def _throttled_docs(meta: dict[str, Any]) -> int:
    from django.conf import settings
    from rest_framework.settings import api_settings

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "anonymous": "2/min"}
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        return Client().get("/api/v1/docs/", **meta).status_code


@pytest.fixture
def clean_throttles() -> Iterator[None]:
    for address in (CLIENT_A, CLIENT_B, PROXY):
        AnonymousRateThrottle.reset(address)
    yield
    for address in (CLIENT_A, CLIENT_B, PROXY):
        AnonymousRateThrottle.reset(address)


def test_the_api_throttle_counts_the_client_behind_the_proxy_not_the_proxy_nor_a_forged_header(
    settings, db, clean_throttles
) -> None:
    settings.RILO_TRUSTED_PROXY_COUNT = 1
    statuses = [_throttled_docs(_through_proxy(CLIENT_A, forged=f"192.0.2.{n}")) for n in range(3)]
    assert statuses == [200, 200, 429]
    assert _throttled_docs(_through_proxy(CLIENT_B)) == 200


def test_without_a_trusted_proxy_the_api_throttle_ignores_x_forwarded_for(settings, db, clean_throttles) -> None:
    settings.RILO_TRUSTED_PROXY_COUNT = 0
    statuses = [_throttled_docs({"REMOTE_ADDR": CLIENT_A, "HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"}) for n in range(3)]
    assert statuses == [200, 200, 429]
