"""Fixtures of the exchange tests: real partners on loopback (webhook receivers, a TAXII server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.partners import TaxiiServer, WebhookPartner


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
