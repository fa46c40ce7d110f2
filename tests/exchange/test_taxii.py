"""The STIX 2.1 / TAXII 2.1 adapter against a real medallion server on loopback."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import stix2
from django.test import override_settings

from apps.exchange.adapters import adapter_for
from apps.exchange.adapters.taxii import stix_id
from apps.exchange.choices import DeliveryState
from apps.exchange.models import Delivery, PartnerSystem
from apps.exchange.services import (
    delivery_replay,
    delivery_send_one,
    event_fan_out,
)
from apps.tenancy.models import Administration
from bench.partners import TAXII_PASSWORD, TAXII_USER, TaxiiServer
from tests.builders import (
    NON_PERSONAL_FIELDS,
    approve,
    build_report,
    default_region,
    partner_system,
    policy_version,
    region_administrator,
    withdraw,
)

pytestmark = pytest.mark.django_db


def taxii_partner(server: TaxiiServer, *, password: str = TAXII_PASSWORD) -> PartnerSystem:
    partner, secret = partner_system(
        region=default_region(),
        name="CEN (TAXII)",
        adapter="taxii",
        endpoint_url=server.collection_url,
        credentials={"username": TAXII_USER, "password": password},
    )
    assert secret == ""  # TAXII partners authenticate with credentials, messages are not signed
    policy_version(
        partner=partner,
        regions=["*"],
        administrations=["*"],
        commodity_categories=["*"],
        report_kinds=["*"],
        fields=list(NON_PERSONAL_FIELDS),
    )
    return partner


def test_a_report_is_a_stix_bundle_with_ids_derived_from_its_uuid_and_version(
    france: Administration, taxii_server: TaxiiServer
) -> None:
    partner = taxii_partner(taxii_server)
    report = build_report(by=france, reference="FR-1")
    event = approve(report)
    event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.get(event=event)
    bundle = json.loads(
        adapter_for(partner).render(event.snapshot, delivery.policy, mode="report", personal_allowed=False)
    )
    stix_report = next(o for o in bundle["objects"] if o["type"] == "report")
    assert stix_report["id"] == stix_id("report", report.uuid, 1)
    assert stix_report["spec_version"] == "2.1"
    assert stix_report["x_rilo_report"]["report_uuid"] == str(report.uuid)
    assert "parties" in stix_report["x_rilo_report"] and "family_name" not in json.dumps(bundle)
    location = next(o for o in bundle["objects"] if o["type"] == "location")
    assert location["country"] == "FR"


def test_a_bundle_lands_in_the_collection_and_a_repush_counts_as_delivered(
    france: Administration, taxii_server: TaxiiServer
) -> None:
    taxii_partner(taxii_server)
    report = build_report(by=france, reference="FR-1")
    event = approve(report)
    event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.get(event=event)

    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.SUCCEEDED
    held = {o["id"]: o for o in taxii_server.objects()}
    assert stix_id("report", report.uuid, 1) in held

    delivery_replay(actor=region_administrator(), delivery=delivery)
    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.DUPLICATE
    delivery.refresh_from_db()
    assert delivery.reason == "partner already had it: TAXII server already holds these objects"

    withdrawn = withdraw(report)
    event_fan_out(event_id=withdrawn.pk)
    tombstone = Delivery.objects.get(event=withdrawn)
    assert delivery_send_one(delivery_id=tombstone.pk) == DeliveryState.SUCCEEDED
    versions = [o for o in taxii_server.objects() if o["id"] == stix_id("report", report.uuid, 1)]
    assert [o.get("revoked", False) for o in versions] == [False, True]


def test_wrong_taxii_credentials_need_attention(france: Administration, taxii_server: TaxiiServer) -> None:
    taxii_partner(taxii_server, password="wrong")
    event = approve(build_report(by=france, reference="FR-1"))
    event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.get(event=event)
    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.NEEDS_ATTENTION
    delivery.refresh_from_db()
    assert delivery.reason.startswith("partner refused the message: HTTP 401")


@pytest.mark.parametrize("microsecond", [0, 120_000, 123_456])
def test_every_bundle_is_valid_stix_exactly_as_the_stix2_library_writes_it(
    france: Administration, taxii_server: TaxiiServer, microsecond: int
) -> None:
    partner = taxii_partner(taxii_server)
    report = build_report(by=france, reference="FR-1")
    approved = approve(report)
    event_fan_out(event_id=approved.pk)
    withdrawn = withdraw(report)
    policy = Delivery.objects.get(event=approved).policy
    adapter = adapter_for(partner)
    bundles = []
    for event, mode in [(approved, "report"), (approved, "tombstone"), (withdrawn, "tombstone")]:
        snapshot = {**event.snapshot, "event": {**event.snapshot["event"]}}
        snapshot["event"]["at"] = (
            dt.datetime.fromisoformat(snapshot["event"]["at"]).replace(microsecond=microsecond).isoformat()
        )
        bundles.append(json.loads(adapter.render(snapshot, policy, mode=mode, personal_allowed=False)))

    for bundle in bundles:
        parsed = stix2.parse(bundle, allow_custom=True, version="2.1")
        assert json.loads(parsed.serialize()) == bundle
    assert {o["type"] for o in bundles[0]["objects"]} == {"identity", "location", "report"}
    assert all(o.get("revoked") for o in bundles[2]["objects"] if o["type"] == "report")


def test_a_taxii_push_whose_host_leads_to_a_private_address_when_connecting_is_not_sent(
    france: Administration, taxii_server: TaxiiServer
) -> None:
    partner = taxii_partner(taxii_server)
    event = approve(build_report(by=france, reference="FR-1"))
    event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.select_related("event", "partner", "policy").get(event=event)
    payload = adapter_for(partner).render(event.snapshot, delivery.policy, mode="report", personal_allowed=False)
    before = len(taxii_server.objects())

    with override_settings(RILO_ALLOW_PRIVATE_ENDPOINTS=False):
        outcome = adapter_for(partner).send(payload, delivery)

    assert outcome.kind == "refused" and "a loopback address" in outcome.error
    assert len(taxii_server.objects()) == before
