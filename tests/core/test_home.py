"""The home page tells each role what it can do next; the layout works without a CDN."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.accounts.models import User
from tests.helpers import sign_in


def home_for(client: Client, user: User) -> str:
    sign_in(client, user)  # verified when the role requires two-factor (coordinators)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_officer_home_names_the_role_and_administration(client, alice):
    page = home_for(client, alice)
    assert "Officer" in page
    assert "French Customs" in page
    assert "My account" in page


@pytest.mark.parametrize("persona", ["alice", "cora", "bob"])
def test_layout_has_skip_link_main_landmark_and_viewport(client, persona, request):
    page = home_for(client, request.getfixturevalue(persona))
    assert 'href="#main"' in page
    assert '<main id="main"' in page
    assert 'name="viewport"' in page
    assert 'aria-label="Main"' in page


def test_every_asset_is_served_by_the_app(client, alice):
    page = home_for(client, alice)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    external = [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert sources and not external
