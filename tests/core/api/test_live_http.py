"""The API over real HTTP, as an outside client uses it: a live server and `requests`."""

from __future__ import annotations

import pytest
import requests

from tests.helpers import bearer

TIMEOUT = 10


@pytest.mark.slow
def test_an_outside_client_uses_the_api_with_a_token(
    live_server, transactional_db, cora, nsys, issue_token, vocabularies
):
    base = f"{live_server.url}/api/v1"
    session = requests.Session()
    session.headers["Authorization"] = bearer(issue_token(cora, "read", "write"))["HTTP_AUTHORIZATION"]

    me = session.get(f"{base}/me/", timeout=TIMEOUT)
    assert me.status_code == 200 and me.headers["Content-Type"] == "application/json"
    assert me.json()["username"] == "cora" and me.json()["token_scopes"] == ["read", "write"]
    assert me.headers["X-Request-ID"]

    # Page-number pagination: follow "next" links to the end.
    url, codes = f"{base}/reference/enforcement-areas/?page_size=2", []
    while url:
        page = session.get(url, timeout=TIMEOUT).json()
        codes += [term["code"] for term in page["results"]]
        url = page["next"]
    assert codes == ["DRUGS", "REVENUE", "OLD"]

    # Issue tokens idempotently, then walk them with cursor pagination.
    body = {"user": "nsys", "name": "feed", "scopes": ["read"], "expires_in_days": 7}
    first = session.post(f"{base}/accounts/tokens/", json=body, headers={"Idempotency-Key": "k1"}, timeout=TIMEOUT)
    retry = session.post(f"{base}/accounts/tokens/", json=body, headers={"Idempotency-Key": "k1"}, timeout=TIMEOUT)
    assert first.status_code == retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.json()["token"] == first.json()["token"]
    session.post(f"{base}/accounts/tokens/", json={**body, "name": "second"}, timeout=TIMEOUT)
    url, names = f"{base}/accounts/tokens/?page_size=1", []
    while url:
        page = session.get(url, timeout=TIMEOUT).json()
        assert set(page) == {"next", "previous", "results"}
        names += [token["name"] for token in page["results"]]
        url = page["next"]
    assert names[:2] == ["second", "feed"] and len(names) == 3

    # Errors come in the one shape, with the right status and headers.
    bad = session.post(
        f"{base}/accounts/tokens/", data="{", headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )
    assert bad.status_code == 400 and bad.json()["type"] == "parse_error"
    anonymous = requests.get(f"{base}/me/", timeout=TIMEOUT)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(anonymous.json()) == {"type", "message", "details"}
    missing = session.get(f"{base}/reference/units/NOPE/", timeout=TIMEOUT)
    assert missing.status_code == 404 and missing.json()["type"] == "not_found"
    too_big = session.post(f"{base}/accounts/tokens/", data=b"x" * (1024 * 1024 + 1), timeout=TIMEOUT)
    assert too_big.status_code == 413 and too_big.json()["type"] == "request_too_large"

    # The issued token works for its holder.
    system_me = requests.get(
        f"{base}/me/", headers={"Authorization": f"Bearer {first.json()['token']}"}, timeout=TIMEOUT
    )
    assert system_me.json()["username"] == "nsys"
