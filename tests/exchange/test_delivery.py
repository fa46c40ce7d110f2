"""Claiming and sending deliveries to a real webhook receiver on loopback, in this process.

The fault tests (test_faults.py) run the same path through real Celery worker processes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from apps.exchange.adapters import adapter_for
from apps.exchange.choices import AttemptOutcome, DeliveryState, PartnerState
from apps.exchange.models import Delivery, DeliveryAttempt, OutboxEvent, PartnerSystem
from apps.exchange.services import (
    Claim,
    deliveries_claim,
    delivery_replay,
    delivery_send,
    delivery_send_one,
    event_deliver,
    event_fan_out,
    exchange_sweep,
    partner_secret_rotate,
    retry_delay,
)

# Private on purpose: the one test of a worker that dies between fan-out's commit and sending needs
# that moment, which no public operation stops at (event_deliver always sends right after).
from apps.exchange.services.fan_out import _fan_out
from apps.tenancy.models import Administration
from bench.partners import Step, WebhookPartner
from tests.builders import (
    approve,
    build_report,
    cigarettes,
    correct,
    partner_change,
    region_administrator,
    webhook_partner,
    withdraw,
)

pytestmark = pytest.mark.django_db


def approved_and_fanned_out(
    administration: Administration, reference: str, *, free_text_checked: bool = False, **parts: Any
) -> OutboxEvent:
    report = build_report(by=administration, reference=reference, **parts)
    event = approve(report, free_text_checked=free_text_checked)
    event_fan_out(event_id=event.pk)
    return event


def send_now(delivery: Delivery) -> str | None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    return delivery_send_one(delivery_id=delivery.pk)


def test_a_delivery_is_signed_per_standard_webhooks_and_received_once(
    france: Administration, receiver: WebhookPartner
) -> None:
    _partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    event = approved_and_fanned_out(france, "FR-1")
    delivery = Delivery.objects.get(event=event)

    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.SUCCEEDED

    requests, receipts = receiver.snapshot()
    assert len(requests) == 1 and requests[0].verified
    assert list(receipts) == [str(event.uuid)]
    body = receipts[str(event.uuid)].body
    assert body is not None and body["type"] == "report.approved"
    assert body["data"]["report_uuid"] == event.snapshot["report_uuid"]
    assert "parties" in body["data"] and "family_name" not in str(body)
    delivery.refresh_from_db()
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert (attempt.number, attempt.status_code, attempt.outcome) == (1, 200, AttemptOutcome.SUCCEEDED)
    assert attempt.payload_hash == delivery.payload_hash != ""
    assert delivery.completed_at is not None and delivery.lease_until is None


def test_a_failed_delivery_is_retried_later_by_the_schedule_in_the_database(
    france: Administration, receiver: WebhookPartner
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    receiver.script(Step(status=503))
    event = approved_and_fanned_out(france, "FR-1")
    delivery = Delivery.objects.get(event=event)

    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.RETRY
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.reason.startswith("HTTP 503")
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    assert deliveries_claim(limit=10) == []  # not due yet

    assert send_now(delivery) == DeliveryState.SUCCEEDED
    attempts = list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("number", "outcome", "status_code"))
    assert attempts == [(1, "retry", 503), (2, "succeeded", 200)]
    assert receiver.accepted[str(event.uuid)] == 1


def test_the_retry_schedule_grows_exponentially_to_about_a_day() -> None:
    with override_settings(RILO_EXCHANGE_RETRY_JITTER=0):
        delays = [retry_delay(n) for n in range(1, 12)]
    assert delays[0] == 30
    assert all(later >= earlier for earlier, later in itertools.pairwise(delays))
    assert delays[-1] == 6 * 60 * 60
    assert 20 * 3600 < sum(delays) < 30 * 3600


@override_settings(RILO_EXCHANGE_MAX_ATTEMPTS=2)
def test_a_delivery_dies_when_its_schedule_is_exhausted(france: Administration, receiver: WebhookPartner) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    receiver.script(Step(status=500), Step(status=500))
    delivery = Delivery.objects.get(event=approved_and_fanned_out(france, "FR-1"))
    assert send_now(delivery) == DeliveryState.RETRY
    assert send_now(delivery) == DeliveryState.DEAD
    delivery.refresh_from_db()
    assert delivery.reason.startswith("retry schedule exhausted after 2 attempts; last: HTTP 500")


@pytest.mark.parametrize(
    ("step", "state", "reason"),
    [
        (Step(status=409, body='{"detail": "already present"}'), DeliveryState.DUPLICATE, "partner already had it"),
        (
            Step(status=400, body='{"detail": "bad field"}'),
            DeliveryState.NEEDS_ATTENTION,
            "partner refused the message: HTTP 400",
        ),
        (
            Step(status=302, headers={"Location": "http://elsewhere/"}),
            DeliveryState.NEEDS_ATTENTION,
            "HTTP 302 redirect",
        ),
    ],
)
def test_answers_are_classified(
    france: Administration, receiver: WebhookPartner, step: Step, state: str, reason: str
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    receiver.script(step)
    delivery = Delivery.objects.get(event=approved_and_fanned_out(france, "FR-1"))
    assert delivery_send_one(delivery_id=delivery.pk) == state
    delivery.refresh_from_db()
    assert delivery.reason.startswith(reason)
    assert delivery.next_attempt_at is None


def test_a_429_is_retried_after_the_time_the_partner_asked_for(
    france: Administration, receiver: WebhookPartner
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    receiver.script(Step(status=429, headers={"Retry-After": "120"}))
    delivery = Delivery.objects.get(event=approved_and_fanned_out(france, "FR-1"))
    before = timezone.now()
    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.RETRY
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    assert before + dt.timedelta(seconds=119) <= delivery.next_attempt_at <= timezone.now() + dt.timedelta(seconds=121)


def test_a_410_disables_the_partner_and_closes_its_open_deliveries(
    france: Administration, receiver: WebhookPartner
) -> None:
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    receiver.script(Step(status=410, body='{"detail": "endpoint retired"}'))
    first = Delivery.objects.get(event=approved_and_fanned_out(france, "FR-1"))
    second = Delivery.objects.get(event=approved_and_fanned_out(france, "FR-2"))

    assert delivery_send_one(delivery_id=first.pk) == DeliveryState.PARTNER_DISABLED
    partner.refresh_from_db()
    second.refresh_from_db()
    assert partner.state == PartnerState.DISABLED
    assert partner.state_reason.startswith("partner answered 410 Gone")
    assert second.state == DeliveryState.PARTNER_DISABLED
    third = approved_and_fanned_out(france, "FR-3")
    assert Delivery.objects.get(event=third).state == DeliveryState.PARTNER_DISABLED
    assert len(receiver.requests) == 1


def test_max_in_flight_limits_what_workers_may_claim_for_a_partner(france: Administration) -> None:
    webhook_partner("CEN", "http://127.0.0.1:9/hooks", max_in_flight=2)
    for number in range(5):
        approved_and_fanned_out(france, f"FR-{number}")
    first = deliveries_claim(limit=10)
    assert len(first) == 2
    assert deliveries_claim(limit=10) == []
    assert Delivery.objects.filter(state=DeliveryState.IN_FLIGHT).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_claim_the_same_delivery(france: Administration) -> None:
    webhook_partner("CEN", "http://127.0.0.1:9/hooks", max_in_flight=64)
    webhook_partner("CIS", "http://127.0.0.1:9/hooks", max_in_flight=64)
    for number in range(30):
        approved_and_fanned_out(france, f"FR-{number}")
    claimed: list[Claim] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def worker() -> None:
        start.wait()
        try:
            while claims := deliveries_claim(limit=3):
                with lock:
                    claimed.extend(claims)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = [claim.delivery_id for claim in claimed]
    assert len(ids) == len(set(ids)) == 60


@override_settings(RILO_EXCHANGE_LEASE_SECONDS=30)
def test_an_expired_lease_is_claimed_again_and_the_lost_attempt_recorded(
    france: Administration, receiver: WebhookPartner
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    delivery = Delivery.objects.get(event=approved_and_fanned_out(france, "FR-1"))
    [lost] = deliveries_claim(limit=1)  # a worker claims it, then dies
    assert deliveries_claim(limit=1) == []
    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))

    [taken_over] = deliveries_claim(limit=1)
    assert delivery_send(claim=taken_over) == DeliveryState.SUCCEEDED
    assert delivery_send(claim=lost) == DeliveryState.SUCCEEDED  # the late worker changes nothing
    outcomes = list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("number", "outcome"))
    assert outcomes == [(1, "lease_expired"), (2, "succeeded")]
    assert receiver.accepted[str(delivery.event.uuid)] == 1


def drain() -> list[int]:
    """Send everything due, one claim at a time; the events in the order they went out."""
    order = []
    while claims := deliveries_claim(limit=1):
        order.append(Delivery.objects.get(pk=claims[0].delivery_id).event_id)
        delivery_send(claim=claims[0])
    return order


def test_a_report_s_messages_reach_a_partner_in_order(france: Administration, receiver: WebhookPartner) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    report = build_report(by=france, reference="FR-1")
    receiver.script(Step(status=500))
    approved = approve(report)
    event_fan_out(event_id=approved.pk)
    first = Delivery.objects.get(event=approved)
    assert delivery_send_one(delivery_id=first.pk) == DeliveryState.RETRY
    corrected = correct(report, place="Port of Le Havre")
    event_fan_out(event_id=corrected.pk)
    second = Delivery.objects.get(event=corrected)
    assert delivery_send_one(delivery_id=second.pk) is None  # it waits for the first

    Delivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    assert drain() == [approved.pk, corrected.pk]
    withdrawn = withdraw(report)
    event_fan_out(event_id=withdrawn.pk)
    assert drain() == [withdrawn.pk]
    _, receipts = receiver.snapshot()
    assert [r.body["type"] for r in receipts.values() if r.body] == [
        "report.approved",
        "report.corrected",
        "report.withdrawn",
    ]


def test_a_version_not_yet_sent_when_the_report_is_withdrawn_never_leaves(
    france: Administration, receiver: WebhookPartner
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    report = build_report(by=france, reference="FR-1")
    receiver.script(Step(status=500))
    approved = approve(report)
    event_fan_out(event_id=approved.pk)
    assert delivery_send_one(delivery_id=Delivery.objects.get(event=approved).pk) == DeliveryState.RETRY
    corrected = correct(report, place="Port of Le Havre")
    event_fan_out(event_id=corrected.pk)
    withdrawn = withdraw(report)
    event_fan_out(event_id=withdrawn.pk)

    unsent = Delivery.objects.get(event=corrected)
    assert (unsent.state, unsent.reason) == (DeliveryState.SKIPPED_BY_POLICY, "withdrawn before it was sent")
    Delivery.objects.filter(event=approved).update(next_attempt_at=timezone.now())
    assert drain() == [approved.pk, withdrawn.pk]  # the version tried once may have landed: tombstone


def test_paused_partners_keep_their_deliveries_until_resumed(france: Administration, receiver: WebhookPartner) -> None:
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    PartnerSystem.objects.filter(pk=partner.pk).update(state=PartnerState.PAUSED)
    delivery = Delivery.objects.get(event=approved_and_fanned_out(france, "FR-1"))
    assert delivery.state == DeliveryState.PENDING
    assert delivery_send_one(delivery_id=delivery.pk) is None
    PartnerSystem.objects.filter(pk=partner.pk).update(state=PartnerState.ACTIVE)
    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.SUCCEEDED


def test_during_a_secret_rotation_both_secrets_verify_then_only_the_new_one(
    france: Administration, receiver: WebhookPartner
) -> None:
    partner, old_secret, _ = webhook_partner("CEN", receiver.url)
    new_secret = partner_secret_rotate(
        actor=region_administrator(partner.region), partner=partner, overlap=dt.timedelta(hours=1)
    )
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    signatures = partner.signing_secrets()
    assert len(signatures) == 2

    receiver.secret = old_secret  # a receiver that has not switched yet
    delivery = Delivery.objects.get(event=approved_and_fanned_out(france, "FR-1"))
    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.SUCCEEDED
    request = receiver.requests[-1]
    assert request.verified

    PartnerSystem.objects.filter(pk=partner.pk).update(previous_secret_valid_until=timezone.now())
    receiver.secret = old_secret
    second = Delivery.objects.get(event=approved_and_fanned_out(france, "FR-2"))
    assert delivery_send_one(delivery_id=second.pk) == DeliveryState.NEEDS_ATTENTION  # 401 from the receiver
    receiver.secret = new_secret
    delivery_replay(actor=region_administrator(), delivery=second)
    assert delivery_send_one(delivery_id=second.pk) == DeliveryState.SUCCEEDED
    assert Webhook(new_secret)  # the new secret is a valid Standard Webhooks secret


def test_personal_data_is_refused_at_send_time_if_the_partner_lost_its_right_to_it(
    france: Administration, receiver: WebhookPartner
) -> None:
    partner, receiver.secret, _ = webhook_partner("National system", receiver.url, personal=True)
    # The analyst ticked "free text checked" by mistake: the scanner still reads the description.
    event = approved_and_fanned_out(
        france, "FR-1", items=[cigarettes(description="Buyer: dealer@example.org")], free_text_checked=True
    )
    delivery = Delivery.objects.get(event=event)
    assert delivery.state == DeliveryState.PENDING  # personal partner: free text may go

    partner_change(partner=partner, personal_data_allowed=False)
    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.NEEDS_ATTENTION
    delivery.refresh_from_db()
    assert delivery.reason == (
        "personal data found in the rendered message, not sent: e-mail address at data.items[0].description"
    )
    assert DeliveryAttempt.objects.get(delivery=delivery).outcome == AttemptOutcome.REFUSED
    assert receiver.requests == []


# --- the worker that fans out sends what is due itself (the path of the fan_out_event task) -------


def test_the_worker_that_fans_out_an_approval_sends_its_deliveries_itself(
    france: Administration, receiver: WebhookPartner, second_receiver: WebhookPartner
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    _, second_receiver.secret, _ = webhook_partner("National", second_receiver.url, personal=True)
    event = approve(build_report(by=france, reference="FR-1"))

    sent = event_deliver(event_id=event.pk)

    deliveries = list(Delivery.objects.filter(event=event).order_by("partner__name"))
    assert sent == {str(d.pk): DeliveryState.SUCCEEDED for d in deliveries} and len(sent) == 2
    assert [receiver.accepted[str(event.uuid)], second_receiver.accepted[str(event.uuid)]] == [1, 1]
    for delivery in deliveries:
        assert delivery.state == DeliveryState.SUCCEEDED and delivery.feed_seq is not None
        attempt = DeliveryAttempt.objects.get(delivery=delivery)
        assert (attempt.number, attempt.outcome, attempt.payload_hash) == (1, "succeeded", delivery.payload_hash)
    assert event_deliver(event_id=event.pk) == {}  # fanned out once: a second kick does nothing
    assert len(receiver.snapshot()[0]) == 1


def test_the_sent_message_is_the_one_the_feed_and_a_replay_render(
    france: Administration, receiver: WebhookPartner
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    event = approve(build_report(by=france, reference="FR-1"))
    event_deliver(event_id=event.pk)
    delivery = Delivery.objects.get(event=event)
    first_body = receiver.snapshot()[0][0].body

    delivery_replay(actor=region_administrator(), delivery=delivery)
    assert send_now(delivery) == DeliveryState.SUCCEEDED  # rendered again from the snapshot
    requests, _ = receiver.snapshot()
    assert len(requests) == 2 and requests[1].body == first_body
    hashes = set(DeliveryAttempt.objects.filter(delivery=delivery).values_list("payload_hash", flat=True))
    assert hashes == {delivery.payload_hash}


def test_fan_out_leases_no_more_than_the_partner_s_free_slots(france: Administration, receiver: WebhookPartner) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url, max_in_flight=1)
    busy = approved_and_fanned_out(france, "FR-1")
    [held] = deliveries_claim(limit=1)  # another worker is sending FR-1: the only slot is taken
    event = approve(build_report(by=france, reference="FR-2"))

    assert event_deliver(event_id=event.pk) == {}
    waiting = Delivery.objects.get(event=event)
    assert (waiting.state, waiting.attempts, waiting.leased_by) == (DeliveryState.PENDING, 0, "")
    assert receiver.snapshot()[0] == []

    assert delivery_send(claim=held) == DeliveryState.SUCCEEDED
    assert drain() == [event.pk]  # the slot is free again: the sweeper's path sends it
    assert receiver.accepted[str(busy.uuid)] == receiver.accepted[str(event.uuid)] == 1


def test_fan_out_does_not_send_a_correction_before_the_earlier_version(
    france: Administration, receiver: WebhookPartner
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    report = build_report(by=france, reference="FR-1")
    approved = approve(report)
    event_fan_out(event_id=approved.pk)  # queued, not sent yet
    corrected = correct(report, place="Port of Le Havre")

    assert event_deliver(event_id=corrected.pk) == {}
    assert Delivery.objects.get(event=corrected).state == DeliveryState.PENDING
    assert drain() == [approved.pk, corrected.pk]


def test_fan_out_sends_nothing_to_a_paused_partner(france: Administration, receiver: WebhookPartner) -> None:
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    PartnerSystem.objects.filter(pk=partner.pk).update(state=PartnerState.PAUSED)
    event = approve(build_report(by=france, reference="FR-1"))

    assert event_deliver(event_id=event.pk) == {}
    assert Delivery.objects.get(event=event).state == DeliveryState.PENDING
    assert receiver.snapshot()[0] == []


@override_settings(RILO_EXCHANGE_LEASE_SECONDS=30)
def test_a_worker_that_dies_between_fan_out_and_sending_loses_nothing(
    france: Administration, receiver: WebhookPartner
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    event = approve(build_report(by=france, reference="FR-1"))
    [_due], [leased] = _fan_out(event.pk, lease=True)  # committed, then the worker dies before sending
    delivery = Delivery.objects.get(pk=leased.claim.delivery_id)
    assert (delivery.state, delivery.attempts) == (DeliveryState.IN_FLIGHT, 1)
    assert deliveries_claim(limit=1) == []  # the lease is still live

    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert drain() == [event.pk]
    outcomes = list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("number", "outcome"))
    assert outcomes == [(1, "lease_expired"), (2, "succeeded")]
    assert receiver.accepted[str(event.uuid)] == 1


def test_the_sweeper_leaves_fresh_work_to_its_kick_and_takes_up_what_was_forgotten(
    france: Administration, receiver: WebhookPartner
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    event = approve(build_report(by=france, reference="FR-1"))
    with override_settings(RILO_EXCHANGE_KICK_GRACE_SECONDS=5):
        assert exchange_sweep() == {"fanned_out": 0, "due": 0, "batches": 0, "joined_feed": 0}  # its kick is on the way
    with override_settings(RILO_EXCHANGE_KICK_GRACE_SECONDS=0):  # the kick was lost
        assert exchange_sweep() == {"fanned_out": 1, "due": 1, "batches": 1, "joined_feed": 0}
    delivery = Delivery.objects.get(event=event)
    assert delivery.state == DeliveryState.PENDING

    with override_settings(RILO_EXCHANGE_KICK_GRACE_SECONDS=5):
        assert exchange_sweep() == {"fanned_out": 0, "due": 0, "batches": 0, "joined_feed": 0}  # queued a moment ago
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=6))
        assert exchange_sweep() == {"fanned_out": 0, "due": 1, "batches": 1, "joined_feed": 0}


@override_settings(RILO_EXCHANGE_KICK_GRACE_SECONDS=5, RILO_EXCHANGE_LEASE_SECONDS=30)
def test_the_sweeper_hands_on_a_delivery_whose_lease_expired_at_once(
    france: Administration, receiver: WebhookPartner
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    approved_and_fanned_out(france, "FR-1")
    [claim] = deliveries_claim(limit=1)
    assert exchange_sweep()["due"] == 0
    Delivery.objects.filter(pk=claim.delivery_id).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert exchange_sweep()["due"] == 1


def test_a_webhook_whose_host_leads_to_a_private_address_when_connecting_is_not_sent(
    france: Administration, receiver: WebhookPartner
) -> None:
    _, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    event = approved_and_fanned_out(france, "FR-1")
    delivery = Delivery.objects.select_related("event", "partner", "policy").get(event=event)

    # As if the host had passed the endpoint check with a public address and then answered the
    # connection's own look-up with a loopback one (DNS rebinding): the connection is checked too.
    with override_settings(RILO_ALLOW_PRIVATE_ENDPOINTS=False):
        outcome = adapter_for(delivery.partner).send(b'{"type": "report.approved"}', delivery)

    assert outcome.kind == AttemptOutcome.REFUSED
    assert "127.0.0.1, a loopback address" in outcome.error and "nothing was sent" in outcome.error
    assert receiver.snapshot()[0] == []
    assert adapter_for(delivery.partner).send(b"{}", delivery).kind != AttemptOutcome.REFUSED  # allowed here


@override_settings(RILO_EXCHANGE_INLINE_SECONDS=0.5)
def test_a_slow_partner_does_not_hold_up_the_others_messages(
    france: Administration, receiver: WebhookPartner, second_receiver: WebhookPartner
) -> None:
    slow, receiver.secret, _ = webhook_partner("Slow partner", receiver.url)
    fast, second_receiver.secret, _ = webhook_partner("Fast partner", second_receiver.url)
    assert slow.pk < fast.pk  # sent first
    receiver.script(Step(delay=0.8))
    event = approve(build_report(by=france, reference="FR-1"))

    sent = event_deliver(event_id=event.pk)

    slow_delivery = Delivery.objects.get(event=event, partner=slow)
    handed_on = Delivery.objects.get(event=event, partner=fast)
    assert sent == {str(slow_delivery.pk): DeliveryState.SUCCEEDED}
    assert (handed_on.state, handed_on.attempts, handed_on.leased_by) == (DeliveryState.PENDING, 0, "")
    assert not DeliveryAttempt.objects.filter(delivery=handed_on).exists()
    assert drain() == [event.pk]  # another worker sends it
    assert second_receiver.accepted[str(event.uuid)] == 1
