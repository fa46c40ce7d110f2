"""The API throttles: one atomic GCRA count per identity in Redis (apps.core.api.throttling)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory, override_settings

from apps.core.api.throttling import AccountRateThrottle, AnonymousRateThrottle
from tests.helpers import bearer

ME = "/api/v1/me/"
ADDRESS = "203.0.113.77"


@pytest.fixture
def rates(settings) -> Iterator[Any]:
    """``rates(account=..., anonymous=...)`` sets the throttle rates for the rest of the test."""

    def set_rates(**rates: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
        }

    yield set_rates


@pytest.fixture
def fresh(alice) -> Iterator[None]:
    AccountRateThrottle.reset(alice.pk)
    AnonymousRateThrottle.reset(ADDRESS)
    yield
    AccountRateThrottle.reset(alice.pk)
    AnonymousRateThrottle.reset(ADDRESS)


def _as(user: Any) -> Any:
    return SimpleNamespace(user=user)


def test_of_a_burst_fired_at_once_exactly_the_rate_passes(alice, rates, fresh) -> None:
    rates(account="20/hour")
    threads, barrier = 60, threading.Barrier(60)
    outcomes: list[bool] = []
    lock = threading.Lock()

    def fire() -> None:
        throttle = AccountRateThrottle()
        barrier.wait()
        accepted = throttle.allow_request(_as(alice), None)
        with lock:
            outcomes.append(accepted)

    workers = [threading.Thread(target=fire) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(outcomes) == threads
    assert outcomes.count(True) == 20


def test_a_refused_request_waits_one_interval_and_is_not_counted(alice, rates, fresh) -> None:
    rates(account="3/min")
    throttle = AccountRateThrottle()
    assert [throttle.allow_request(_as(alice), None) for _ in range(3)] == [True, True, True]
    for _ in range(5):  # refusals spend nothing: the wait does not grow
        assert throttle.allow_request(_as(alice), None) is False
        wait = throttle.wait()
        assert wait is not None and 19 < wait <= 20  # 3/min: one more every 20 seconds


def test_the_count_refills_with_time(alice, rates, fresh) -> None:
    rates(account="2/s")
    throttle = AccountRateThrottle()
    assert [throttle.allow_request(_as(alice), None) for _ in range(3)] == [True, True, False]
    wait = throttle.wait()
    assert wait is not None and 0 < wait <= 0.5
    time.sleep(1.05)  # a full period idle: the whole burst again
    assert [throttle.allow_request(_as(alice), None) for _ in range(3)] == [True, True, False]


def test_the_key_expires_once_the_count_is_back_to_full(alice, rates, fresh) -> None:
    rates(account="4/s")
    AccountRateThrottle().allow_request(_as(alice), None)
    client = redis.Redis.from_url(_cache_url())
    assert 0 < client.pttl(AccountRateThrottle.key(alice.pk)) <= 250


def test_every_token_and_the_session_of_an_account_share_one_count(api, alice, issue_token, rates, fresh) -> None:
    rates(account="3/min")
    first, second = bearer(issue_token(alice, name="one")), bearer(issue_token(alice, name="two"))
    assert api.get(ME, **first).status_code == 200
    assert api.get(ME, **second).status_code == 200
    api.force_login(alice)
    assert api.get(ME).status_code == 200
    api.logout()
    response = api.get(ME, **first)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 20


def test_anonymous_callers_are_counted_per_address_and_accounts_apart(alice, rates, fresh) -> None:
    rates(anonymous="1/min", account="5/min")
    request = RequestFactory().get("/", REMOTE_ADDR=ADDRESS)
    request.user = AnonymousUser()
    throttle = AnonymousRateThrottle()
    assert throttle.allow_request(request, None) is True
    assert throttle.allow_request(request, None) is False
    request.user = alice  # signed in: the anonymous throttle does not apply
    assert throttle.allow_request(request, None) is True


def test_without_a_rate_nothing_is_counted(alice, rates, fresh) -> None:
    rates(account=None)
    throttle = AccountRateThrottle()
    assert all(throttle.allow_request(_as(alice), None) for _ in range(50))


def test_with_redis_unreachable_the_request_fails_rather_than_pass_unlimited(alice, rates) -> None:
    rates(account="5/min")
    unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _dead_url()}}
    with override_settings(CACHES=unreachable), pytest.raises(redis.exceptions.ConnectionError):
        AccountRateThrottle().allow_request(_as(alice), None)


def _cache_url() -> str:
    from django.conf import settings

    return str(settings.CACHES["default"]["LOCATION"])


def _dead_url() -> str:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"
