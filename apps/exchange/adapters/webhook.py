"""JSON webhooks signed per the Standard Webhooks specification (https://www.standardwebhooks.com/).

The body is ``{"type": "report.approved", "timestamp": …, "data": <document>}``. Headers:
``webhook-id`` is the outbox event's UUID, the same on every retry so receivers can deduplicate;
``webhook-timestamp`` is the send time; ``webhook-signature`` holds one ``v1,`` signature per
valid secret (two during a rotation's overlap).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import urllib3
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from .. import reasons
from ..choices import AttemptOutcome, DeliveryMode, EventType
from ..policy import render_document
from .base import (
    Outcome,
    classify,
    classify_transport_error,
    encode,
    pool_for,
    proxy_refusal_part,
    read_capped,
    said,
    timeouts,
)

if TYPE_CHECKING:
    from ..models import Delivery, SharingPolicy


def sign(*, secrets: list[str], message_id: str, timestamp: dt.datetime, payload: bytes) -> str:
    """The ``webhook-signature`` header value: space-separated ``v1,<base64>`` signatures."""
    text = payload.decode()
    return " ".join(Webhook(secret).sign(message_id, timestamp, text) for secret in secrets)


class WebhookAdapter:
    """Pushes each message as a signed JSON POST."""

    content_type = "application/json"

    def render(
        self, snapshot: Mapping[str, Any], policy: SharingPolicy | None, *, mode: str, personal_allowed: bool
    ) -> bytes:
        document = render_document(snapshot, policy, mode=mode, personal_allowed=personal_allowed)
        event_type = EventType.WITHDRAWN if mode == DeliveryMode.TOMBSTONE else snapshot["event"]["type"]
        return encode({"type": f"report.{event_type}", "timestamp": snapshot["event"]["at"], "data": document})

    def send(self, payload: bytes, delivery: Delivery) -> Outcome:
        partner = delivery.partner
        refusal = proxy_refusal_part(partner.endpoint_url)
        if refusal:
            return Outcome(AttemptOutcome.REFUSED, error=reasons.english([refusal]), parts=(refusal,))
        secrets = partner.signing_secrets()
        if not secrets:
            return said(AttemptOutcome.NEEDS_ATTENTION, None, "no_signing_secret")
        now = timezone.now()
        message_id = str(delivery.event.uuid)
        headers = {
            "Content-Type": self.content_type,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": sign(secrets=secrets, message_id=message_id, timestamp=now, payload=payload),
        }
        credentials = partner.credentials
        if credentials.get("token"):
            headers["Authorization"] = f"Bearer {credentials['token']}"
        elif credentials.get("username"):
            basic = f"{credentials['username']}:{credentials.get('password', '')}"
            headers["Authorization"] = urllib3.make_headers(basic_auth=basic)["authorization"]
        try:
            connect, read = timeouts()
            response = pool_for(partner).request(
                "POST",
                partner.endpoint_url,
                body=payload,
                headers=headers,
                redirect=False,
                retries=False,
                timeout=urllib3.Timeout(connect=connect, read=read),
                preload_content=False,
            )
            body, _ = read_capped(response)  # a receiver's answer is read up to a bound, never whole
        except urllib3.exceptions.HTTPError as error:
            return classify_transport_error(error)
        return classify(response.status, response.headers, body.decode("utf-8", "replace"))
