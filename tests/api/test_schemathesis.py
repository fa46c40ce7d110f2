"""Property-based run of the whole OpenAPI schema (schemathesis) with an officer's and an analyst's token.

Every operation is called with generated valid and invalid input, against the WSGI application in
this process and on the test database: no answer may be a server error, and every answer must
conform to the schema (status code, content type, headers, body).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from .conftest import bearer

PERSONAS = ["alice", "erin"]  # an officer (French Customs), an analyst (RILO Western Europe)


@pytest.fixture(params=PERSONAS)
def persona_token(request, issue_token, alice, erin) -> str:
    """A token with every scope, so that only the account's role and tenant limit what it may do."""
    user = request.getfixturevalue(request.param)
    return issue_token(user, "read", "write", "review", name="schemathesis")


@pytest.fixture
def api_schema(db, persona_token, vocabularies):
    # As Django's test client does: keep the test's transaction open across the WSGI requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_conforms_to_its_schema(case, persona_token):
    authorization = bearer(persona_token)["HTTP_AUTHORIZATION"]
    case.call_and_validate(headers={"Authorization": authorization})
