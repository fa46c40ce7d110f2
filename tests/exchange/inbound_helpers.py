"""Signed inbound messages, built and signed as a peer running this system would."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import uuid
from typing import Any

from django.test import Client
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

INBOUND_URL = "/api/v1/inbound/reports/"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def message(
    report_uuid: uuid.UUID,
    *,
    version: int = 1,
    event: str = "approved",
    report: dict[str, Any] | None = None,
    **sections: Any,
) -> dict[str, Any]:
    """A webhook body in this system's wire format (what its webhook adapter renders)."""
    data: dict[str, Any] = {
        "report_uuid": str(report_uuid),
        "version": version,
        "event": event,
        "event_id": str(uuid.uuid4()),
        "event_at": timezone.now().isoformat(),
        "policy_version": 3,
        "report": report
        if report is not None
        else {
            "kind": "seizure",
            "administration": "de-zoll",  # the sender's code: never decides where the report goes here
            "region": "rilo-peer",
            "national_reference": "DE-2025-77",
            "country_of_seizure": "DE",
            "seizure_date": "2025-03-14",
            "place": "Hamburg, Burchardkai",
            "approved_at": "2025-03-15T08:00:00+00:00",
        },
    }
    data.update(
        sections
        or {
            "items": [
                {
                    "position": 1,
                    "commodity_category": "tobacco",
                    "commodity_type": "cigarettes",
                    "quantity": "200000",
                    "unit": "STK",
                    "normalised_quantity": "200000",
                    "normalised_dimension": "sticks",
                    "description": "Cigarettes in a container of toys",
                }
            ],
            "route": [{"sequence": 1, "role": "origin", "country": "AE"}],
            "conveyances": [{"identifier_type": "container"}],
            "parties": [{"position": 1, "role": "offender", "age_band": "25-34"}],
        }
    )
    return {"type": f"report.{event}", "timestamp": data["event_at"], "data": data}


def tombstone(report_uuid: uuid.UUID, *, version: int = 1, reason: str = "withdrawn") -> dict[str, Any]:
    data = {
        "report_uuid": str(report_uuid),
        "version": version,
        "event": "withdrawn",
        "event_id": str(uuid.uuid4()),
        "event_at": timezone.now().isoformat(),
        "policy_version": 3,
        "withdrawn": True,
        "reason": reason,
    }
    return {"type": "report.withdrawn", "timestamp": data["event_at"], "data": data}


def signed_headers(
    secret: str, body: bytes, *, at: dt.datetime | None = None, msg_id: str | None = None
) -> dict[str, str]:
    at = at or timezone.now()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode()),
    }


def push(
    client: Client,
    body: dict[str, Any] | bytes,
    *,
    secret: str,
    token: str | None,
    at: dt.datetime | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST a signed message to the inbound endpoint through the test client."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = signed_headers(secret, raw, at=at) if headers is None else dict(headers)
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    return client.post(INBOUND_URL, data=raw, content_type="application/json", headers=all_headers)
