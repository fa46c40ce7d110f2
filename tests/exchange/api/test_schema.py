"""The exchange endpoints in the OpenAPI document: valid, warning-free, with their headers and errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(tmp_path: Path) -> dict:  # type: ignore[type-arg]
    GENERATOR_STATS.reset()
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return yaml.safe_load(target.read_text())  # type: ignore[no-any-return]


def test_the_inbound_endpoint_documents_the_signature_headers_and_its_answers(document: dict) -> None:  # type: ignore[type-arg]
    operation = document["paths"]["/api/v1/inbound/reports/"]["post"]
    headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert headers[name]["required"] is True
    assert {"200", "201", "400", "401", "403", "409", "413", "415"} <= set(operation["responses"])
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/InboundMessageRequest")


def test_the_feed_is_a_cursor_page_of_messages(document: dict) -> None:  # type: ignore[type-arg]
    operation = document["paths"]["/api/v1/feed/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"cursor", "page_size", "after"} <= names
    page = document["components"]["schemas"]["PaginatedFeedMessageList"]
    assert set(page["properties"]) == {"next", "previous", "results"}
    message = document["components"]["schemas"]["FeedMessage"]["properties"]
    assert {"feed_seq", "event_id", "report_uuid", "mode", "payload_sha256", "message", "withheld"} <= set(message)
