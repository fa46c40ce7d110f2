"""Fixtures of the exchange tests: real partners on loopback (webhook receivers, a TAXII server), partners of
two RILOs, peers pushing reports in, signed-in staff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import token_issue
from apps.exchange.models import PartnerSystem
from apps.tenancy.models import Administration, Region
from bench.partners import TaxiiServer, WebhookPartner
from tests.builders import partner_system
from tests.factories import UserFactory
from tests.helpers import sign_in

URL = "http://127.0.0.1:9/hooks/rilo"  # nothing listens: deliveries there fail fast if ever sent


def token_for(user: User, *scopes: str) -> str:
    """The plaintext of a new API token of ``user`` (issued as by the command line)."""
    _, plaintext = token_issue(
        user=user,
        name="test",
        scopes=scopes or ("read",),
        expires_at=timezone.now() + dt.timedelta(days=30),
        actor=None,
    )
    return plaintext


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
    partner, _ = partner_system(name="WCO CEN", adapter="webhook", endpoint_url=URL, region=region_we)
    return partner


@pytest.fixture
def cis_partner(region_cis: Region) -> PartnerSystem:
    """A webhook partner managed by RILO CIS (olga's)."""
    partner, _ = partner_system(name="CIS national", adapter="webhook", endpoint_url=URL, region=region_cis)
    return partner


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


@dataclass
class Peer:
    """A partner system configured to push reports in: its record, its secret and its account's token."""

    partner: PartnerSystem
    secret: str
    token: str


@pytest.fixture
def peer(region_we: Region, germany: Administration) -> Peer:
    """nCEN Germany: a national system speaking for German Customs, pushing reports in."""
    from apps.exchange import crypto
    from tests.exchange.inbound_helpers import new_secret

    partner, _ = partner_system(
        name="nCEN Germany",
        adapter="webhook",
        endpoint_url=URL,
        region=region_we,
        source_administration=germany,
    )
    secret = new_secret()
    account = UserFactory.create(username="ncen-de", role=Role.PARTNER_SYSTEM)
    partner.inbound_secret_encrypted = crypto.encrypt(secret)
    partner.account = account
    partner.save()
    return Peer(partner=partner, secret=secret, token=token_for(account, "read", "write"))


@pytest.fixture
def receiver() -> Iterator[WebhookPartner]:
    """A webhook partner; set ``receiver.secret`` to the secret ``partner_create`` returned."""
    partner = WebhookPartner().start()
    yield partner
    partner.stop()


@pytest.fixture
def second_receiver() -> Iterator[WebhookPartner]:
    partner = WebhookPartner().start()
    yield partner
    partner.stop()


@pytest.fixture(scope="session")
def taxii_server() -> Iterator[TaxiiServer]:
    """One medallion TAXII 2.1 server for the whole session (its Flask app is a process singleton)."""
    server = TaxiiServer().start()
    yield server
    server.stop()
