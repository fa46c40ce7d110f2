"""Fixtures of the exchange UI and API tests: partners of two RILOs, peers, signed-in staff, real receivers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.exchange.models import PartnerSystem
from apps.exchange.services import partner_create
from apps.tenancy.models import Region
from tests.exchange.partner import WebhookPartner
from tests.factories import UserFactory
from tests.helpers import sign_in

URL = "http://127.0.0.1:9/hooks/rilo"  # nothing listens: deliveries there fail fast if ever sent


@pytest.fixture
def olga(region_cis: Region) -> User:
    """The RILO administrator of the CIS region (another RILO than grace's)."""
    return UserFactory.create(username="olga", role=Role.RILO_ADMINISTRATOR, region=region_cis)


@pytest.fixture
def signed_in() -> Callable[[User], Client]:
    """``signed_in(user)``: a test client signed in as ``user`` (RILO staff with a verified second factor)."""

    def make(user: User, *, enforce_csrf_checks: bool = False) -> Client:
        client = Client(enforce_csrf_checks=enforce_csrf_checks)
        sign_in(client, user)
        return client

    return make


@pytest.fixture
def we_partner(region_we: Region) -> PartnerSystem:
    """A webhook partner managed by RILO Western Europe (grace's)."""
    partner, _ = partner_create(name="WCO CEN", adapter="webhook", endpoint_url=URL, region=region_we, actor=None)
    return partner


@pytest.fixture
def cis_partner(region_cis: Region) -> PartnerSystem:
    """A webhook partner managed by RILO CIS (olga's)."""
    partner, _ = partner_create(name="CIS national", adapter="webhook", endpoint_url=URL, region=region_cis, actor=None)
    return partner


@pytest.fixture
def receiver() -> Iterator[WebhookPartner]:
    partner = WebhookPartner().start()
    yield partner
    partner.stop()


def form_data(**overrides: Any) -> dict[str, Any]:
    """A valid partner form, as a browser posts it."""
    data: dict[str, Any] = {
        "name": "OLAF CIS+",
        "adapter": "webhook",
        "endpoint_url": "https://203.0.113.50/hooks/rilo",
        "auth": "token",
        "token": "partner-given-token",
        "username": "",
        "password": "",
        "max_in_flight": "4",
        "contact_email": "ops@cisplus.example.org",
        "source_administration": "",
        "peer_identity": "",
        "inbound_secret": "",
        "account_username": "",
    }
    data.update(overrides)
    return data
