"""Every HTML page, for every persona, carries the strict Content-Security-Policy.

Walks every named URL that takes no argument (the whole URL configuration, the admin included) signed
out (signed in: tests/core/test_query_counts.py) and every report page of the isolation test
(tests/reports/views/test_isolation.py), as one persona of each role: the header is set for every
response by the middleware, and what differs between two personas of one role (bob and alice, farid
and erin) is which rows a page holds, not which pages answer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse

from .conftest import sign_in
from .test_isolation import PERSONAS, REPORT_URLS, VISIBLE, world  # noqa: F401  (world is a fixture)

REPORT_PAGES = ["detail", "edit", "correct", "history", "history (htmx fragment)", "attachment download"]
STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _names(resolver: URLResolver, namespace: str = "") -> Iterator[str]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern, inner)
        elif pattern.name:
            yield namespace + pattern.name


def paths_without_arguments() -> list[str]:
    paths = set()
    for name in _names(get_resolver()):
        try:
            paths.add(reverse(name))
        except NoReverseMatch:
            continue
    return sorted(paths)


# One persona per role (tests/conftest.py): officer, national coordinator, RILO analyst, RILO administrator,
# auditor, partner system account.
ONE_PER_ROLE = ["alice", "cora", "erin", "grace", "hugo", "ivan"]


def assert_strict_policy(response, where: str) -> None:
    header = response.get("Content-Security-Policy", "")
    assert header == STRICT, f"{where}: {response.status_code} {header!r}"
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_the_walk_covers_the_application_and_the_admin() -> None:
    paths = paths_without_arguments()
    for expected in ("/", "/reports/", "/reports/review/", "/reports/new/", "/exchange/", "/admin/", "/api/v1/docs/"):
        assert expected in paths, expected
    assert len(paths) > 40


def test_one_persona_of_each_role_walks_the_pages(request: pytest.FixtureRequest) -> None:
    walked = {request.getfixturevalue(persona).role for persona in ONE_PER_ROLE}
    assert walked == {request.getfixturevalue(persona).role for persona in PERSONAS}


def test_every_page_without_arguments_carries_the_strict_policy_signed_out(client: Client) -> None:
    """Signed in, one persona of each role walks the same pages in tests/core/test_query_counts.py, which
    checks the strict policy on every answer as it counts the queries."""
    html = 0
    for path in paths_without_arguments():
        response = client.get(path)
        assert_strict_policy(response, f"anonymous {path}")
        html += response.get("Content-Type", "").startswith("text/html") and response.status_code == 200
    assert html >= 3  # the walk reached real pages, not only redirects


@pytest.mark.parametrize("persona", [p for p in ONE_PER_ROLE if VISIBLE[p]])
def test_every_report_page_of_the_isolation_test_carries_the_strict_policy(
    client: Client,
    world,  # noqa: F811
    persona,
    request,
) -> None:
    sign_in(client, request.getfixturevalue(persona))
    pages = 0
    for name in sorted(VISIBLE[persona]):
        for url_name in REPORT_PAGES:
            response = REPORT_URLS[url_name](client, world[name], world)
            assert_strict_policy(response, f"{persona} {url_name} {name}")
            pages += response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")
    assert pages >= 2, persona
