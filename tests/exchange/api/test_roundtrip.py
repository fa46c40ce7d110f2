"""Two instances of this system as each other's partners, over real HTTP: the wire format round-trips, no loop.

One database serves both "instances" here. Instance A's side is the outbox event and the delivery
its engine made for partner P; instance B's side is the report table and B's inbound endpoint, served
by a live server. P stands for both directions of the pair: A pushes to P's endpoint (B's inbound
URL) with P's signing secret and P's API token; B knows P as the peer that signs with that secret
(a real pair would paste each other's secret). The original report lives in A's database only, so
it leaves this shared one before B receives it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.exchange import crypto
from apps.exchange.adapters import base as adapter_base
from apps.exchange.choices import DeliveryState
from apps.exchange.models import Delivery, DeliveryAttempt, OutboxEvent
from apps.exchange.services import delivery_send_one, event_fan_out
from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from apps.tenancy.models import Administration
from bench.partners import WebhookPartner, wait_for
from tests.builders import (
    NON_PERSONAL_FIELDS,
    approve,
    build_report,
    cigarettes,
    cocaine,
    partner_change,
    vocabulary,
    webhook_partner,
)
from tests.exchange.conftest import token_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def hang_up() -> Iterator[None]:
    """Close the engine's keep-alive connections afterwards, so the live server lets go of its database connection."""
    yield
    adapter_base.close_pools()


def test_a_report_pushed_by_one_instance_is_stored_by_the_other_and_never_sent_back(
    live_server: object, france: Administration, germany: Administration, receiver: WebhookPartner
) -> None:
    vocabulary()
    inbound_url = f"{live_server.url}/api/v1/inbound/reports/"  # type: ignore[attr-defined]
    peer, secret, _ = webhook_partner("Peer RILO instance", inbound_url, fields=list(NON_PERSONAL_FIELDS))
    account = UserFactory.create(username="peer-instance", role=Role.PARTNER_SYSTEM)
    peer.account = account
    peer.source_administration = germany
    peer.inbound_secret_encrypted = crypto.encrypt(secret)
    peer.save()
    partner_change(partner=peer, credentials={"token": token_for(account, "read", "write")})

    # Instance A: a report approved, its outbox event fanned out to P.
    original = build_report(by=france, reference="FR-2025-0042", items=[cigarettes(), cocaine(3)])
    sent = approve(original)
    event_fan_out(event_id=sent.pk)
    outgoing = Delivery.objects.get(event=sent, partner=peer)
    assert outgoing.state == DeliveryState.PENDING
    report_uuid = original.uuid
    original.delete()  # it lives in instance A's database, not in B's

    # A's engine sends it over HTTP to B's inbound endpoint; B verifies and stores it.
    assert delivery_send_one(delivery_id=outgoing.pk) == DeliveryState.SUCCEEDED
    attempt = DeliveryAttempt.objects.get(delivery=outgoing)
    assert attempt.status_code == 201

    received = Report.objects.get(uuid=report_uuid)
    assert (received.status, received.administration, received.version) == (ReportStatus.APPROVED, germany, 1)
    assert received.provenance.source_partner == peer
    document = sent.snapshot["report"]
    assert received.country_of_seizure.code == document["country_of_seizure"]
    assert received.seizure_date.isoformat() == document["seizure_date"]
    assert received.place == document["country_of_seizure"]  # a place leaves without personal data as its country
    assert [(i.commodity_type.code, str(i.quantity), i.unit.code) for i in received.items.order_by("position")] == [
        (i["commodity_type"], i["quantity"], i["unit"]) for i in sent.snapshot["items"]
    ]
    assert [(r.role, r.country.code) for r in received.route.order_by("sequence")] == [
        (r["role"], r["country"]) for r in sent.snapshot["route"]
    ]
    assert received.modus_operandi == ""  # personal: never left instance A for this non-personal partner

    # Instance B forwards it to its other partners, never back to where it came from.
    cen, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    forwarded = OutboxEvent.objects.get(report_uuid=report_uuid, pk__gt=sent.pk)
    assert forwarded.snapshot["source_partner_id"] == peer.pk
    event_fan_out(event_id=forwarded.pk)
    back = Delivery.objects.get(event=forwarded, partner=peer)
    assert (back.state, back.reason) == (DeliveryState.SKIPPED_BY_POLICY, "report was received from this partner")
    onward = Delivery.objects.get(event=forwarded, partner=cen)
    assert delivery_send_one(delivery_id=onward.pk) == DeliveryState.SUCCEEDED
    body = wait_for(lambda: receiver.receipts.get(str(forwarded.uuid)), timeout=10, message="CEN got nothing").body
    assert body["data"]["report_uuid"] == str(report_uuid) and body["data"]["report"]["administration"] == germany.code

    # A retry of the same message (same webhook-id) changes nothing on B: idempotent, still no loop.
    # (A retry, not a replay: both instances share this test's database, where the report now
    # looks received from the peer, and a replay re-decides from the report's current state.)
    Delivery.objects.filter(pk=outgoing.pk).update(state=DeliveryState.RETRY, next_attempt_at=timezone.now())
    assert delivery_send_one(delivery_id=outgoing.pk) == DeliveryState.SUCCEEDED
    assert DeliveryAttempt.objects.filter(delivery=outgoing).order_by("pk").last().status_code == 200  # type: ignore[union-attr]
    assert Report.objects.filter(uuid=report_uuid).count() == 1
    assert OutboxEvent.objects.filter(report_uuid=report_uuid).count() == 2
    assert AuditEvent.objects.filter(action="report.receive", object_uuid=report_uuid).count() == 1
    assert not Delivery.objects.filter(partner=peer, state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
