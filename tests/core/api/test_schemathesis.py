"""Property-based run of the whole OpenAPI schema (schemathesis) with an officer's and an analyst's token.

Every operation is called with generated valid and invalid input, against the WSGI application in
this process and on the test database: no answer may be a server error, and every answer must
conform to the schema (status code, content type, headers, body). Reports of three administrations
in several states are seeded, and an operation on one report is pointed at one of them (or, now and
then, at a report that does not exist), so that the report endpoints answer with real data.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import OperationConfig, OperationsConfig
from schemathesis.specs.openapi.checks import (
    positive_data_acceptance,
)

from tests.helpers import bearer

PERSONAS = ["alice", "erin"]  # an officer (French Customs), an analyst (RILO Western Europe)


@pytest.fixture(params=PERSONAS)
def persona(request) -> str:
    return request.param


@pytest.fixture
def persona_token(request, persona, issue_token, alice, erin) -> str:
    """A token with every scope, so that only the account's role and tenant limit what it may do."""
    user = request.getfixturevalue(persona)
    return issue_token(user, "read", "write", "review", name="schemathesis")


@pytest.fixture
def report_uuids(vocabularies, world) -> list[str]:
    """The seeded reports (after the vocabulary fixture, so their terms survive it)."""
    return [str(report.uuid) for report in world.values()]


@pytest.fixture
def api_schema(db, persona, persona_token, vocabularies, report_uuids):
    # As Django's test client does: keep the test's transaction open across the WSGI requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        loaded = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
        # A NUL character in a query or body string is refused with a clear 400 naming the parameter
        # (tests/core/api/test_errors.py::test_a_null_character_in_a_filter_is_a_clear_400_naming_the_parameter), which
        # the positive-data check would count as a schema-valid request rejected: generate strings without it.
        loaded.config.generation.allow_x00 = False
        # A report's body has some thirty optional fields and four nested lists: the coverage phase would send
        # each combination (some 700 requests per persona and operation); fuzzing still sends valid and
        # invalid bodies, and coverage still runs on every other report operation.
        loaded.config.operations = OperationsConfig(
            operations=[
                OperationConfig.from_dict(
                    {
                        "include-path-regex": r"^/api/v1/reports/(\{uuid\}/(correct/)?)?$",
                        "include-method-regex": "^(POST|PUT|PATCH)$",
                        "phases": {"coverage": {"enabled": False}},
                    }
                ),
                # The vocabularies answer every role alike (no tenant, no role in them): the officer's run
                # covers them, the analyst's spends its time where the roles differ.
                *(
                    [OperationConfig.from_dict({"include-path-regex": r"^/api/v1/reference/", "enabled": False})]
                    if persona != PERSONAS[0]
                    else []
                ),
            ]
        )
        yield loaded
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_conforms_to_its_schema(case, persona_token, report_uuids):
    authorization = bearer(persona_token)["HTTP_AUTHORIZATION"]
    excluded: list[Callable[..., Any]] = []
    if case.path.startswith("/api/v1/reports/"):
        _point_at_a_seeded_report(case, report_uuids)
        # Whether a schema-valid report request is accepted depends on stored data the schema cannot say:
        # the codes that exist, the report's state, the fields its form variant requires (400 or 409).
        excluded.append(positive_data_acceptance)
    elif case.path == "/api/v1/accounts/tokens/" and case.method == "POST":
        # Whether a token may be issued depends on stored data too: whether the named holder exists and is an
        # account the caller manages (400 for a name that is no account, 403 for one that is not theirs).
        excluded.append(positive_data_acceptance)
    elif case.path.startswith("/api/v1/statistics/"):
        # The statistics filters accept the caller's region's administrations only (stored data) and a period whose
        # end is not before its start, a country for a country's role: relations the schema cannot say (400).
        excluded.append(positive_data_acceptance)
    elif case.path == "/api/v1/uploads/" and case.method == "POST":
        # Whether a file is accepted depends on its content, which the schema cannot say: a binary string the
        # schema allows is refused as not a spreadsheet (400, with the reason).
        excluded.append(positive_data_acceptance)
    case.call_and_validate(headers={"Authorization": authorization}, excluded_checks=excluded)


def _point_at_a_seeded_report(case, report_uuids: list[str]) -> None:
    """A generated report uuid names (nearly always) a seeded report instead; malformed ones stay as they are."""
    generated = (case.path_parameters or {}).get("uuid")
    try:
        uuid.UUID(str(generated))
    except ValueError:
        return
    choices = [*report_uuids, str(generated)]  # a report that does not exist, once in a while
    case.path_parameters["uuid"] = choices[zlib.crc32(str(generated).encode()) % len(choices)]
