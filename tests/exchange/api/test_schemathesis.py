"""Property-based run of the exchange endpoints (schemathesis) with a partner system's own token.

tests/core/api/test_schemathesis.py already runs every operation, these included, with an officer's
and an analyst's token: there the feed and the inbound endpoint answer 403 (not a partner
account), which only checks the refusals. Here a partner with messages in its feed reads it with
generated query parameters (every answer must match the schema), and pushes generated bodies to
the inbound endpoint: without a valid Standard Webhooks signature — which a generator cannot
forge — each one must be refused with a documented 4xx and nothing stored.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from apps.accounts.roles import Role
from apps.exchange import crypto
from apps.exchange.services import event_fan_out
from apps.reports.models import Report
from apps.tenancy.models import Administration
from tests.builders import approve, build_report, vocabulary, webhook_partner, withdraw
from tests.exchange.conftest import URL, token_for
from tests.factories import UserFactory


@pytest.fixture
def partner_token(db: None, france: Administration) -> str:
    """A peer whose feed holds reports and a tombstone; a token of its account with read and write."""
    vocabulary()
    partner, secret, _ = webhook_partner("Peer", URL)
    account = UserFactory.create(username="peer-account", role=Role.PARTNER_SYSTEM)
    partner.account = account
    partner.source_administration = france
    partner.inbound_secret_encrypted = crypto.encrypt(secret)
    partner.save(update_fields=["account", "source_administration", "inbound_secret_encrypted"])
    first = build_report(by=france, reference="FR-1")
    for event in (approve(first), approve(build_report(by=france, reference="FR-2")), withdraw(first)):
        event_fan_out(event_id=event.pk)
    return token_for(account, "read", "write")


@pytest.fixture
def exchange_schema(db: None, partner_token: str) -> Any:
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("exchange_schema").include(path_regex=r"^/api/v1/(feed|inbound)/")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_exchange_endpoints_conform_to_their_schema_for_a_partner(case: Any, partner_token: str) -> None:
    reports = Report.objects.count()
    response = case.call_and_validate(headers={"Authorization": f"Bearer {partner_token}"})
    if case.path.startswith("/api/v1/inbound/") and response.request.method == "POST":
        assert response.status_code in (400, 401, 413, 415), response.text
    assert Report.objects.count() == reports
