"""Every exchange page of the isolation test carries the strict Content-Security-Policy, for one persona of
each kind of answer (pages answered, refused or not found alike)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from apps.accounts.models import User
from tests.reports.views.test_csp_headers import assert_strict_policy

from .test_isolation import OUTSIDERS, pages, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.django_db


# The region's administrator (pages), its analyst, another region's administrator (not found), and those
# outside the exchange's roles (refused): one of each role; farid answers as olga does, cora as alice.
WALKERS = ["grace", "erin", "olga", "alice", "hugo", "ivan"]


def test_the_walk_takes_its_personas_from_the_isolation_test() -> None:
    assert set(WALKERS) - {"grace", "erin"} <= set(OUTSIDERS)


@pytest.mark.parametrize("persona", WALKERS)
def test_every_exchange_page_of_the_isolation_test_carries_the_strict_policy(
    request: pytest.FixtureRequest,
    signed_in: Callable[..., Client],
    world: dict[str, Any],  # noqa: F811
    persona: str,
) -> None:
    user: User = request.getfixturevalue(persona)
    client = signed_in(user)
    statuses = []
    for url in pages(world):
        response = client.get(url)
        assert_strict_policy(response, f"{persona} {url}")
        statuses.append(response.status_code)
    if persona == "grace":  # the region's administrator: real pages, not only refusals
        assert set(statuses) == {200}
