"""Why an attempt failed is said in the reader's language on the timeline; the stored English text stays as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import unescape

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from apps.accounts.models import User
from apps.exchange.adapters.base import classify, classify_exception
from apps.exchange.choices import AttemptOutcome, DeliveryState
from apps.exchange.models import Delivery, DeliveryAttempt, OutboxEvent, PartnerSystem
from apps.exchange.services import delivery_send_one, event_fan_out
from apps.tenancy.models import Administration, Region
from bench.partners import Step, WebhookPartner
from tests.builders import approve, build_report, vocabulary, webhook_partner

pytestmark = pytest.mark.django_db
SignedIn = Callable[..., Client]


@pytest.fixture
def cen(region_we: Region, receiver: WebhookPartner) -> PartnerSystem:
    vocabulary()
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    partner.region = region_we
    partner.save(update_fields=["region"])
    return partner


def delivery_of(france: Administration, cen: PartnerSystem, reference: str) -> Delivery:
    event: OutboxEvent = approve(build_report(by=france, reference=reference))
    event_fan_out(event_id=event.pk)
    return Delivery.objects.get(event=event, partner=cen)


def timeline_in_french(user: User, signed_in: SignedIn, delivery: Delivery) -> str:
    user.language = "fr"
    user.save(update_fields=["language"])
    url = reverse("exchange:timeline", args=[delivery.report_uuid])
    return unescape(signed_in(user).get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode())


@override_settings(RILO_EXCHANGE_READ_TIMEOUT="0.5")
def test_an_attempt_that_timed_out_says_so_in_french_and_keeps_its_english_text(
    signed_in: SignedIn, erin: User, france: Administration, cen: PartnerSystem, receiver: WebhookPartner
) -> None:
    receiver.script(Step(status=200, delay=1.5))
    delivery = delivery_of(france, cen, "FR-AL-1")

    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.RETRY
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert attempt.error.startswith("timed out: ReadTimeoutError: ")  # what the API and the logs show
    assert attempt.error_parts[0][0] == "timed_out"
    detail = attempt.error_parts[0][1]["detail"]  # the library's words stay data
    assert attempt.error == f"timed out: ReadTimeoutError: {detail}"
    delivery.refresh_from_db()
    assert delivery.reason == attempt.error

    page = timeline_in_french(erin, signed_in, delivery)
    assert f"délai dépassé : ReadTimeoutError : {detail}" in page
    assert attempt.error not in page


def test_a_lease_that_expired_says_so_in_french_and_keeps_its_english_text(
    signed_in: SignedIn, erin: User, france: Administration, cen: PartnerSystem
) -> None:
    delivery = delivery_of(france, cen, "FR-AL-2")
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.IN_FLIGHT,
        attempts=1,
        leased_by="host-1:42:gone",
        lease_until=timezone.now() - dt.timedelta(minutes=1),
        next_attempt_at=timezone.now() - dt.timedelta(minutes=2),
    )

    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.SUCCEEDED
    lost = DeliveryAttempt.objects.get(delivery=delivery, outcome=AttemptOutcome.LEASE_EXPIRED)
    assert lost.error == "worker host-1:42:gone did not finish within its lease"
    assert lost.error_parts == [["lease_expired", {"worker": "host-1:42:gone"}]]

    page = timeline_in_french(erin, signed_in, delivery)
    assert "le processus host-1:42:gone n\u2019a pas terminé dans le délai de son bail" in page
    assert lost.error not in page


def test_the_english_errors_are_the_same_text_as_before_and_the_partner_s_words_stay_data() -> None:
    gone = classify(410, {}, "  We   closed 100% of\nfeeds ")
    assert gone.error == "partner answered 410 Gone: We closed 100% of feeds"
    assert classify(503, {}, "").error == "HTTP 503"
    assert classify(503, {}, "busy:").error == "HTTP 503: busy"
    assert classify(302, {"Location": "https://x.example/"}, "").error == (
        "HTTP 302 redirect to https://x.example/ not followed; update the endpoint"
    )
    assert classify(400, {}, "bad").error == "partner refused the message: HTTP 400: bad"
    assert classify(409, {}, "dup").parts == ()  # the partner's own words only: shown as they are
    refused = classify_exception(ConnectionError("reset"))
    assert refused.error == "ConnectionError: reset" and refused.parts == ()
    with translation.override("es"):
        attempt = DeliveryAttempt(error=gone.error, error_parts=list(gone.parts))
        assert attempt.error_shown == "el socio respondió 410 Gone: We closed 100% of feeds"
        assert DeliveryAttempt(error="written before parts existed").error_shown == "written before parts existed"
