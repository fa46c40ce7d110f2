"""Why a delivery is in its state is said in the reader's language; the stored English text stays as it was."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from apps.accounts.models import User
from apps.exchange import reasons
from apps.exchange.choices import DeliveryState
from apps.exchange.models import Delivery, OutboxEvent, PartnerSystem
from apps.exchange.services import delivery_replay, delivery_send_one, event_fan_out
from apps.tenancy.models import Administration, Region
from bench.partners import WebhookPartner
from tests.builders import approve, build_report, vocabulary, webhook_partner, withdraw

pytestmark = pytest.mark.django_db
SignedIn = Callable[..., Client]


def fanned_out(event: OutboxEvent) -> OutboxEvent:
    event_fan_out(event_id=event.pk)
    return event


def in_region(partner: PartnerSystem, region: Region) -> PartnerSystem:
    partner.region = region
    partner.save(update_fields=["region"])
    return partner


@pytest.fixture
def cen(region_we: Region, receiver: WebhookPartner) -> PartnerSystem:
    vocabulary()
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    return in_region(partner, region_we)


def page_in(language: str, client: Client, url: str) -> str:
    return unescape(client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode())


def french(user: User, signed_in: SignedIn) -> Client:
    user.language = "fr"
    user.save(update_fields=["language"])
    return signed_in(user)


def test_a_delivery_skipped_by_the_policy_says_why_in_french_and_keeps_its_english_text(
    signed_in: SignedIn, erin: User, france: Administration, cen: PartnerSystem, region_we: Region
) -> None:
    drugs = in_region(
        webhook_partner("Drugs desk", "https://drugs.example.org/hook", commodity_categories=["drugs"])[0], region_we
    )
    event = fanned_out(approve(build_report(by=france, reference="FR-RL-1")))
    skipped = Delivery.objects.get(event=event, partner=drugs)

    assert skipped.state == DeliveryState.SKIPPED_BY_POLICY
    assert skipped.reason == "commodity category tobacco not in policy v1"  # what the API and the logs show
    page = page_in("fr", french(erin, signed_in), reverse("exchange:timeline", args=[event.report_uuid]))
    assert "catégorie de marchandises tobacco absente de la politique v1" in page
    assert "commodity category tobacco not in policy v1" not in page


def test_a_withdrawn_report_s_deliveries_say_why_in_french(
    signed_in: SignedIn, erin: User, france: Administration, cen: PartnerSystem
) -> None:
    report = build_report(by=france, reference="FR-RL-2")
    approved = fanned_out(approve(report))  # not sent yet
    withdrawn = fanned_out(withdraw(report))

    content = Delivery.objects.get(event=approved, partner=cen)
    tombstone = Delivery.objects.get(event=withdrawn, partner=cen)
    assert content.reason == "withdrawn before it was sent"
    assert tombstone.reason == "withdrawal of a sent report"
    page = page_in("fr", french(erin, signed_in), reverse("exchange:timeline", args=[report.uuid]))
    assert "retiré avant d\u2019avoir été envoyé" in page
    assert "retrait d\u2019un rapport envoyé" in page
    assert "withdrawn before it was sent" not in page


def test_a_replayed_delivery_says_so_in_french_and_in_english_for_an_english_reader(
    signed_in: SignedIn, grace: User, france: Administration, cen: PartnerSystem
) -> None:
    event = fanned_out(approve(build_report(by=france, reference="FR-RL-3")))
    delivery = Delivery.objects.get(event=event, partner=cen)
    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.SUCCEEDED
    replayed = delivery_replay(actor=grace, delivery=delivery)
    assert replayed.reason.startswith("replayed at ")

    url = reverse("exchange:timeline", args=[event.report_uuid])
    english = page_in("en", signed_in(grace), url)
    assert replayed.reason in english
    page = page_in("fr", french(grace, signed_in), url)
    assert "renvoyé le " + replayed.reason.removeprefix("replayed at ") in page
    assert replayed.reason not in page


def test_text_from_outside_stays_data_and_a_row_without_parts_shows_its_stored_text(
    france: Administration, cen: PartnerSystem
) -> None:
    said = reasons.both(reasons.part("partner_disabled", reason="Their 50% upgrade"))
    assert said["reason"] == "partner disabled: Their 50% upgrade"
    with translation.override("fr"):
        assert reasons.shown(said["reason_parts"]) == "partenaire désactivé : Their 50% upgrade"
        nested = [reasons.part("no_longer_shared", reasons=[reasons.part("duplicate"), reasons.part("no_policy")])]
        assert reasons.english(nested) == (
            "no longer shared: report is marked as a duplicate and is never forwarded; no sharing policy (default deny)"
        )
        assert reasons.shown(nested).startswith("n\u2019est plus partagé : le rapport est marqué comme doublon")
        event = fanned_out(approve(build_report(by=france, reference="FR-RL-4")))
        delivery = Delivery.objects.get(event=event, partner=cen)
        Delivery.objects.filter(pk=delivery.pk).update(reason="written before parts existed", reason_parts=[])
        delivery.refresh_from_db()
        assert delivery.reason_shown == "written before parts existed"
