"""Operations: partner health, the per-report timeline, dead deliveries, replays, pause and resume."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.exchange.choices import DeliveryState
from apps.exchange.models import Delivery, DeliveryAttempt, OutboxEvent, PartnerSystem
from apps.exchange.operations import partner_health
from apps.exchange.services import delivery_send_one, event_fan_out, partner_deliveries_replay_since
from apps.tenancy.models import Administration, Region
from bench.partners import Step, WebhookPartner
from tests.builders import (
    approve,
    build_report,
    default_region,
    partner_disabled,
    partner_system,
    vocabulary,
    webhook_partner,
)
from tests.exchange.conftest import URL

pytestmark = pytest.mark.django_db
SignedIn = Callable[..., Client]


def in_region(partner: PartnerSystem, region: Region) -> PartnerSystem:
    partner.region = region
    partner.save(update_fields=["region"])
    return partner


def approved(administration: Administration, reference: str) -> OutboxEvent:
    event = approve(build_report(by=administration, reference=reference))
    event_fan_out(event_id=event.pk)
    return event


@pytest.fixture
def cen(region_we: Region, receiver: WebhookPartner) -> PartnerSystem:
    vocabulary()
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    return in_region(partner, region_we)


@override_settings(RILO_EXCHANGE_MAX_ATTEMPTS=1)
def test_health_counts_deliveries_by_state_and_measures_latency_and_the_last_error(
    signed_in: SignedIn, erin: User, france: Administration, cen: PartnerSystem, receiver: WebhookPartner
) -> None:
    first, second, third = (approved(france, f"FR-{n}") for n in range(3))
    for event in (first, second):
        assert delivery_send_one(delivery_id=Delivery.objects.get(event=event).pk) == DeliveryState.SUCCEEDED
    receiver.script(Step(status=500, body='{"detail": "database down"}'))
    assert delivery_send_one(delivery_id=Delivery.objects.get(event=third).pk) == DeliveryState.DEAD
    waiting = approved(france, "FR-9")
    Delivery.objects.filter(event=waiting).update(created_at=timezone.now() - dt.timedelta(hours=2, minutes=5))

    health = partner_health(partner=cen)
    assert health.counts == {"succeeded": 2, "dead": 1, "pending": 1}
    assert (health.undelivered, health.problems, health.held) == (1, 1, 0)
    assert health.oldest_undelivered_age is not None and health.oldest_undelivered_age >= dt.timedelta(hours=2)
    latencies = sorted(DeliveryAttempt.objects.values_list("latency_ms", flat=True))
    assert health.attempts_in_window == 3
    assert health.request_p50_ms == statistics.median(latencies)
    assert health.request_p95_ms == pytest.approx(statistics.quantiles(latencies, n=20, method="inclusive")[18])
    assert health.delivery_p50_seconds is not None and health.delivery_p95_seconds is not None
    assert health.last_error is not None and health.last_error.status_code == 500
    assert "database down" in health.last_error.error

    page = signed_in(erin).get(reverse("exchange:partner_detail", args=[cen.pk])).content.decode()
    assert "2 h 5 min" in page  # oldest undelivered
    assert "database down" in page and "retry schedule exhausted after 1 attempts" in page
    assert "Send again" not in page  # analysts look; administrators act


def test_a_message_held_by_an_embargo_is_not_counted_as_late(france: Administration, region_we: Region) -> None:
    vocabulary()
    partner, _, _ = webhook_partner("Embargoed", URL, embargo=dt.timedelta(hours=48))
    approved(france, "FR-1")
    health = partner_health(partner=partner)
    assert (health.undelivered, health.held, health.oldest_undelivered_age) == (0, 1, None)


def test_the_timeline_says_why_a_report_was_not_shared_with_a_partner(
    signed_in: SignedIn,
    erin: User,
    france: Administration,
    cen: PartnerSystem,
    region_we: Region,
    region_cis: Region,
) -> None:
    drugs, _, _ = webhook_partner("Drugs desk", URL, commodity_categories=["drugs"])
    in_region(drugs, region_we)
    in_region(webhook_partner("CIS partner", URL)[0], region_cis)
    partner_system(name="New partner", adapter="webhook", endpoint_url=URL, region=region_we)
    event = approved(france, "FR-TL-1")
    delivery_send_one(delivery_id=Delivery.objects.get(event=event, partner=cen).pk)

    response = signed_in(erin).get(reverse("exchange:timeline", args=[event.report_uuid]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Approved — version 1" in page and "fanned out" in page
    assert "Not shared: commodity category tobacco not in policy v1" in page  # Drugs desk
    assert "Not shared: no sharing policy (default deny)" in page  # New partner
    assert "Succeeded (HTTP 200)" in page  # CEN's attempt
    assert "CIS partner" not in page
    assert "1 delivery to partners of other RILOs is not shown." in page


def test_a_report_is_found_by_its_national_reference_or_uuid(
    signed_in: SignedIn, erin: User, france: Administration, cen: PartnerSystem
) -> None:
    event = approved(france, "FR-FIND-1")
    client = signed_in(erin)
    for key in ("fr-find-1", str(event.report_uuid)):
        response = client.get(reverse("exchange:timeline_search"), {"report": key})
        assert response.status_code == 302 and response["Location"] == reverse(
            "exchange:timeline", args=[event.report_uuid]
        )
    response = client.get(reverse("exchange:timeline_search"), {"report": "NOPE"})
    assert "No report you can see has this UUID or reference." in response.content.decode()


@override_settings(RILO_EXCHANGE_MAX_ATTEMPTS=1)
def test_dead_deliveries_are_listed_with_their_reason_and_an_administrator_sends_one_again(
    signed_in: SignedIn, grace: User, france: Administration, cen: PartnerSystem, receiver: WebhookPartner
) -> None:
    event = approved(france, "FR-1")
    delivery = Delivery.objects.get(event=event)
    receiver.script(Step(status=503))
    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.DEAD

    client = signed_in(grace)
    page = client.get(reverse("exchange:delivery_list", args=[cen.pk])).content.decode()
    assert "retry schedule exhausted after 1 attempts; last: HTTP 503" in page and "Send again" in page

    response = client.post(reverse("exchange:delivery_replay", args=[delivery.pk]), follow=True)
    assert f"Delivery {delivery.pk} to CEN will be sent again now." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.reason.startswith("replayed at")
    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.SUCCEEDED
    assert receiver.accepted[str(event.uuid)] == 1  # same webhook-id as the first try


def test_a_message_not_sent_yet_cannot_be_replayed_past_its_embargo(
    signed_in: SignedIn, grace: User, france: Administration, region_we: Region
) -> None:
    vocabulary()
    partner, _, _ = webhook_partner("Embargoed", URL, embargo=dt.timedelta(hours=48))
    in_region(partner, region_we)
    delivery = Delivery.objects.get(event=approved(france, "FR-1"))
    held_until = delivery.next_attempt_at
    response = signed_in(grace).post(reverse("exchange:delivery_replay", args=[delivery.pk]), follow=True)
    assert "This message has not been sent yet; it goes out when it is due." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == held_until


def test_everything_since_a_time_is_sent_again_in_order(
    signed_in: SignedIn, grace: User, france: Administration, cen: PartnerSystem
) -> None:
    old, recent, latest = (approved(france, f"FR-{n}") for n in range(3))
    for event in (old, recent, latest):
        delivery_send_one(delivery_id=Delivery.objects.get(event=event).pk)
    since = timezone.now() - dt.timedelta(minutes=10)
    Delivery.objects.filter(event=old).update(created_at=since - dt.timedelta(hours=1))
    skipped, _ = partner_system(region=default_region(), name="Skipper", adapter="webhook", endpoint_url=URL)

    response = signed_in(grace).post(
        reverse("exchange:partner_replay_since", args=[cen.pk]),
        {"since": since.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "2 messages to CEN will be sent again." in response.content.decode()
    states = dict(Delivery.objects.filter(partner=cen).values_list("event_id", "state"))
    assert states == {old.pk: "succeeded", recent.pk: "pending", latest.pk: "pending"}
    assert Delivery.objects.filter(partner=skipped).exclude(state="skipped_by_policy").count() == 0


def test_replaying_for_a_disabled_partner_or_from_the_future_is_refused(grace: User, cen: PartnerSystem) -> None:
    from django.core.exceptions import ValidationError

    from apps.core.exceptions import Conflict

    with pytest.raises(ValidationError):
        partner_deliveries_replay_since(actor=grace, partner=cen, since=timezone.now() + dt.timedelta(hours=1))
    partner_disabled(partner=cen, reason="contract ended")
    cen.refresh_from_db()
    with pytest.raises(Conflict):
        partner_deliveries_replay_since(actor=grace, partner=cen, since=timezone.now() - dt.timedelta(hours=1))


def test_a_paused_partner_keeps_its_messages_until_it_is_resumed(
    signed_in: SignedIn, grace: User, france: Administration, cen: PartnerSystem, receiver: WebhookPartner
) -> None:
    client = signed_in(grace)
    client.post(reverse("exchange:partner_state", args=[cen.pk]), {"state": "paused", "reason": "Their upgrade"})
    event = approved(france, "FR-1")
    delivery = Delivery.objects.get(event=event)
    assert delivery_send_one(delivery_id=delivery.pk) is None  # held
    assert receiver.requests == []
    client.post(reverse("exchange:partner_state", args=[cen.pk]), {"state": "active"})
    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.SUCCEEDED


def test_the_partner_list_shows_backlog_and_problems(
    signed_in: SignedIn, grace: User, france: Administration, cen: PartnerSystem
) -> None:
    approved(france, "FR-1")
    approved(france, "FR-2")
    Delivery.objects.filter(partner=cen).update(created_at=timezone.now() - dt.timedelta(minutes=30))
    Delivery.objects.filter(partner=cen, event__report_uuid__in=OutboxEvent.objects.values("report_uuid")[:1]).update(
        state=DeliveryState.NEEDS_ATTENTION
    )
    page = signed_in(grace).get(reverse("exchange:partner_list")).content.decode()
    row = page[page.index(">CEN<") :]
    row = row[: row.index("</tr>")]
    assert "Version 1" in row and "30 min" in row and "<strong>1</strong>" in row


def test_setting_a_partners_state_is_said_in_a_whole_sentence_of_the_readers_language(
    signed_in: SignedIn, grace: User, cen: PartnerSystem
) -> None:
    grace.language = "fr"
    grace.save()
    client = signed_in(grace)
    url = reverse("exchange:partner_state", args=[cen.pk])
    paused = client.post(url, {"state": "paused", "reason": "Their upgrade"}, follow=True).content.decode()
    assert "CEN est désormais en pause : ses envois sont retenus." in paused
    active = client.post(url, {"state": "active"}, follow=True).content.decode()
    assert "CEN est désormais actif." in active
