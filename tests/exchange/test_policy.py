"""Snapshots, sharing policies and fan-out decisions: who gets what, and why not."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.core.exceptions import Conflict
from apps.exchange.adapters import adapter_for
from apps.exchange.choices import DeliveryMode, DeliveryState
from apps.exchange.models import Delivery, OutboxEvent, ReportProvenance, SharingPolicy
from apps.exchange.services import delivery_replay, event_fan_out
from apps.exchange.snapshot import field_catalogue
from apps.tenancy.models import Administration
from tests.builders import (
    NON_PERSONAL_FIELDS,
    approve,
    build_report,
    cigarettes,
    cocaine,
    correct,
    default_region,
    next_policy_version,
    partner_system,
    policy_version,
    region_administrator,
    vocabulary,
    webhook_partner,
    withdraw,
)

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hooks"  # never contacted: these tests stop at fan-out


def delivery_for(event: OutboxEvent, partner_name: str) -> Delivery:
    return Delivery.objects.get(event=event, partner__name=partner_name)


def test_a_snapshot_marks_the_personal_keys_from_the_reports_catalogue(france: Administration) -> None:
    event = approve(build_report(by=france, reference="FR-1"))
    snapshot = event.snapshot
    assert {"family_name", "id_document_number", "nationality", "sex"} <= set(snapshot["personal"]["parties"])
    assert "age_band" not in snapshot["personal"]["parties"]
    # Free text (places, customs office, descriptions, brands, attributes) is personal too.
    assert snapshot["personal"]["report"] == ["customs_office", "place", "latitude", "longitude", "modus_operandi"]
    assert snapshot["personal"]["conveyances"] == ["identifier"]
    assert snapshot["personal"]["items"] == ["description", "brand", "concealment_detail", "attributes"]
    assert snapshot["personal"]["route"] == ["place"]
    assert snapshot["free_text_checked"] is False
    assert snapshot["parties"][0]["age_band"] == "25-34"
    assert snapshot["items"][0]["commodity_category"] == "tobacco"
    assert snapshot["report"]["region"] == "rilo-we"
    assert (event.report_version, event.type) == (1, "approved")
    assert json.loads(json.dumps(snapshot)) == snapshot


def test_a_snapshot_holds_what_the_report_holds_with_terms_by_code(france: Administration) -> None:
    report = build_report(by=france, reference="FR-1", items=[cigarettes(), cocaine(Decimal("12.5"))])
    snapshot = approve(report).snapshot
    report.refresh_from_db()
    items = list(report.items.order_by("position"))

    assert snapshot["report_uuid"] == str(report.uuid) and snapshot["status"] == "approved"
    assert snapshot["report"]["administration"] == france.code
    assert snapshot["report"]["national_reference"] == "FR-1"
    assert snapshot["report"]["seizure_date"] == report.seizure_date.isoformat()
    assert snapshot["report"]["approved_at"] == report.approved_at.isoformat()  # type: ignore[union-attr]
    assert snapshot["report"]["transport_mode"] == report.transport_mode.code  # type: ignore[union-attr]
    assert snapshot["report"]["detection_methods"] == [m.code for m in report.detection_methods.all()]
    assert snapshot["report"]["country_of_seizure"] == france.country
    assert [(i["position"], i["commodity_type"], i["quantity"], i["unit"]) for i in snapshot["items"]] == [
        (item.position, item.commodity_type.code, str(item.quantity), item.unit.code)  # type: ignore[union-attr]
        for item in items
    ]
    assert [(r["sequence"], r["country"], r["place"]) for r in snapshot["route"]] == [
        (1, "AE", "Jebel Ali"),
        (2, france.country, None),  # a blank text is absent, not ""
    ]
    assert snapshot["conveyances"][0]["identifier"] == "AB-123-CD"
    party = report.parties.get()
    assert snapshot["parties"][0]["family_name"] == party.family_name
    assert snapshot["parties"][0]["birth_date"] == party.birth_date.isoformat()  # type: ignore[union-attr]
    assert snapshot["duplicate_of"] is None and snapshot["source_partner_id"] is None


@pytest.mark.parametrize("role", ["origin", "replica"])
def test_outbox_snapshots_are_immutable(france: Administration, role: str) -> None:
    event = approve(build_report(by=france, reference="FR-1"))
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        # Even for a session whose replication role silences the triggers of the tables it writes.
        cursor.execute(f"SET LOCAL session_replication_role = {role}")
        OutboxEvent.objects.filter(pk=event.pk).update(snapshot={"tampered": True})


def test_a_non_personal_policy_cannot_keep_a_personal_field(france: Administration) -> None:
    partner, _ = partner_system(region=default_region(), name="CEN", adapter="webhook", endpoint_url=URL)
    with pytest.raises(ValidationError) as error:
        policy_version(partner=partner, regions=["*"], fields=["report.seizure_date", "parties.family_name"])
    assert error.value.message_dict["fields"] == [
        "parties.family_name is personal data; a policy without personal data cannot keep it."
    ]
    assert not SharingPolicy.objects.exists()


def test_a_policy_cannot_carry_personal_data_to_a_partner_not_allowed_any(france: Administration) -> None:
    partner, _ = partner_system(region=default_region(), name="CEN", adapter="webhook", endpoint_url=URL)
    with pytest.raises(ValidationError) as error:
        policy_version(partner=partner, personal_data=True, fields=["parties.family_name"])
    assert "personal_data" in error.value.message_dict


def test_a_policy_names_unknown_codes_fields_and_wrong_generalisations(france: Administration) -> None:
    vocabulary()
    partner, _ = partner_system(region=default_region(), name="CEN", adapter="webhook", endpoint_url=URL)
    with pytest.raises(ValidationError) as error:
        policy_version(
            partner=partner,
            regions=["rilo-nowhere"],
            commodity_categories=["tobaco"],
            fields=["report.seizure_date", "report.colour"],
            generalisations={"report.seizure_date": "bucket"},
            thresholds=[{"commodity": "cigarettes", "min": -1, "dimension": "sticks"}],
        )
    errors = error.value.message_dict
    assert errors["regions"] == ["Unknown code 'rilo-nowhere'."]
    assert errors["commodity_categories"] == ["Unknown code 'tobaco'."]
    assert errors["fields"] == ["Unknown field 'report.colour'."]
    assert errors["generalisations"] == ["report.seizure_date cannot be generalised to 'bucket' (possible: month)."]
    assert errors["thresholds"] == ["Threshold 1: min must be a positive number."]


def test_policy_versions_are_immutable_and_each_change_is_a_new_version(france: Administration) -> None:
    partner, _, first = webhook_partner("CEN", URL)
    second = policy_version(partner=partner, regions=["rilo-we"], fields=["report.kind"])
    assert (first.version, second.version) == (1, 2)
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        SharingPolicy.objects.filter(pk=first.pk).update(fields=["parties.family_name"])
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # fires always, whatever the role
        SharingPolicy.objects.filter(pk=first.pk).update(fields=["parties.family_name"])


def test_the_field_catalogue_follows_the_reports_catalogue() -> None:
    catalogue = field_catalogue()
    assert catalogue["parties.family_name"].personal
    assert catalogue["report.modus_operandi"].personal
    assert not catalogue["report.seizure_date"].personal
    assert catalogue["report.seizure_date"].generalisations == {"month"}
    assert catalogue["items.quantity"].generalisations == {"bucket"}
    assert catalogue["route.place"].generalisations == {"country"}
    assert catalogue["items.description"].personal and catalogue["items.description"].reviewable
    assert not catalogue["report.modus_operandi"].reviewable
    assert (catalogue["report.place"].forced, catalogue["route.place"].forced) == ("country", "country")
    for path in ("report.latitude", "report.longitude"):
        info = catalogue[path]
        assert info.personal and not info.reviewable and not info.forced, path
        assert not info.shareable_without_personal_data, path


def test_a_category_outside_the_policy_is_skipped_with_its_reason(france: Administration) -> None:
    vocabulary()
    desk, _, _ = webhook_partner("Drugs desk", URL, commodity_categories=["*"])
    webhook_partner("CEN", URL)
    for note in ("narrower", "drugs only"):
        policy_version(
            partner=desk,
            regions=["*"],
            administrations=["*"],
            report_kinds=["*"],
            commodity_categories=["drugs"],
            fields=["report.kind"],
            note=note,
        )
    event = approve(build_report(by=france, reference="FR-1"))
    event_fan_out(event_id=event.pk)
    skipped = delivery_for(event, "Drugs desk")
    assert skipped.state == DeliveryState.SKIPPED_BY_POLICY
    assert skipped.reason == "commodity category tobacco not in policy v3"
    assert skipped.policy is not None and skipped.policy.version == 3
    assert skipped.feed_seq is None
    assert delivery_for(event, "CEN").state == DeliveryState.PENDING


def test_items_below_a_threshold_are_left_out_and_the_threshold_named(france: Administration) -> None:
    vocabulary()
    webhook_partner("CEN", URL, thresholds=[{"commodity": "cigarettes", "min": 100000, "dimension": "sticks"}])
    small = approve(build_report(by=france, reference="FR-small", items=[cigarettes(5000)]))
    mixed = approve(build_report(by=france, reference="FR-mixed", items=[cigarettes(5000), cocaine(Decimal("2.5"))]))
    large = approve(build_report(by=france, reference="FR-large", items=[cigarettes(250000)]))
    for event in (small, mixed, large):
        event_fan_out(event_id=event.pk)

    assert delivery_for(small, "CEN").state == DeliveryState.SKIPPED_BY_POLICY
    assert delivery_for(small, "CEN").reason == "below threshold 100000 sticks for cigarettes (5000 sticks)"
    mixed_delivery = delivery_for(mixed, "CEN")
    assert mixed_delivery.state == DeliveryState.PENDING
    body = json.loads(
        adapter_for(mixed_delivery.partner).render(
            mixed.snapshot, mixed_delivery.policy, mode="report", personal_allowed=False
        )
    )
    assert [item["commodity_category"] for item in body["data"]["items"]] == ["drugs"]
    assert delivery_for(large, "CEN").state == DeliveryState.PENDING


def test_an_embargo_holds_the_delivery_until_it_ends(france: Administration) -> None:
    webhook_partner("CEN", URL, embargo=dt.timedelta(hours=6))
    event = approve(build_report(by=france, reference="FR-1"))
    due = event_fan_out(event_id=event.pk)
    delivery = delivery_for(event, "CEN")
    assert due == []
    assert delivery.state == DeliveryState.PENDING
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(hours=5)
    assert delivery.reason.startswith("embargo until ")


def test_a_message_held_by_an_embargo_cannot_be_replayed_early(france: Administration) -> None:
    webhook_partner("CEN", URL, embargo=dt.timedelta(hours=6))
    event = approve(build_report(by=france, reference="FR-1"))
    event_fan_out(event_id=event.pk)
    delivery = delivery_for(event, "CEN")

    with pytest.raises(Conflict, match="not been sent yet"):
        delivery_replay(actor=region_administrator(), delivery=delivery)
    held = delivery_for(event, "CEN")
    assert (held.state, held.next_attempt_at) == (DeliveryState.PENDING, delivery.next_attempt_at)


def test_a_report_withdrawn_during_its_embargo_never_leaves(france: Administration) -> None:
    webhook_partner("CEN", URL, embargo=dt.timedelta(hours=6))
    report = build_report(by=france, reference="FR-1")
    approved = approve(report)
    event_fan_out(event_id=approved.pk)
    withdrawn = withdraw(report)
    event_fan_out(event_id=withdrawn.pk)

    held = delivery_for(approved, "CEN")
    assert (held.state, held.reason) == (DeliveryState.SKIPPED_BY_POLICY, "withdrawn before it was sent")
    assert held.next_attempt_at is None
    tombstone = delivery_for(withdrawn, "CEN")
    assert (tombstone.state, tombstone.reason) == (
        DeliveryState.SKIPPED_BY_POLICY,
        "withdrawn report was never sent to this partner",
    )


def test_a_partner_without_a_policy_receives_nothing(france: Administration) -> None:
    partner_system(region=default_region(), name="New partner", adapter="webhook", endpoint_url=URL)
    event = approve(build_report(by=france, reference="FR-1"))
    event_fan_out(event_id=event.pk)
    delivery = delivery_for(event, "New partner")
    assert (delivery.state, delivery.reason) == (DeliveryState.SKIPPED_BY_POLICY, "no sharing policy (default deny)")


def test_a_report_marked_duplicate_is_never_forwarded(france: Administration) -> None:
    webhook_partner("CEN", URL)
    original = build_report(by=france, reference="FR-1")
    copy = build_report(by=france, reference="FR-2")
    copy.duplicate_of = original
    copy.save(update_fields=["duplicate_of"])
    event = approve(copy)
    event_fan_out(event_id=event.pk)
    delivery = delivery_for(event, "CEN")
    assert delivery.state == DeliveryState.SKIPPED_BY_POLICY
    assert delivery.reason == "report is marked as a duplicate and is never forwarded"


def test_a_report_received_from_a_peer_is_never_sent_back_to_it(france: Administration) -> None:
    peer, _, _ = webhook_partner("RILO CIS", URL, peer_identity="rilo-cis")
    webhook_partner("CEN", URL)
    report = build_report(by=france, reference="FR-1")
    ReportProvenance.objects.create(report=report, source_partner=peer, source_reference="kz-77")
    event = approve(report)
    event_fan_out(event_id=event.pk)
    assert delivery_for(event, "RILO CIS").reason == "report was received from this partner"
    assert delivery_for(event, "RILO CIS").state == DeliveryState.SKIPPED_BY_POLICY
    assert delivery_for(event, "CEN").state == DeliveryState.PENDING


def test_fan_out_happens_once_however_often_it_is_asked(france: Administration) -> None:
    webhook_partner("CEN", URL)
    event = approve(build_report(by=france, reference="FR-1"))
    first = event_fan_out(event_id=event.pk)
    again = event_fan_out(event_id=event.pk)
    assert len(first) == 1
    assert again == []
    assert Delivery.objects.filter(event=event).count() == 1


def test_a_withdrawal_reaches_every_partner_that_received_any_version(france: Administration) -> None:
    vocabulary()
    webhook_partner("CEN", URL)
    webhook_partner("Drugs desk", URL, commodity_categories=["drugs"])
    report = build_report(by=france, reference="FR-1")
    approved = approve(report)
    event_fan_out(event_id=approved.pk)
    Delivery.objects.filter(event=approved, partner__name="CEN").update(state=DeliveryState.SUCCEEDED)

    withdrawn = withdraw(report)
    event_fan_out(event_id=withdrawn.pk)
    tombstone = delivery_for(withdrawn, "CEN")
    assert (tombstone.state, tombstone.mode) == (DeliveryState.PENDING, DeliveryMode.TOMBSTONE)
    body = json.loads(
        adapter_for(tombstone.partner).render(
            withdrawn.snapshot, tombstone.policy, mode="tombstone", personal_allowed=False
        )
    )
    assert body["type"] == "report.withdrawn"
    assert body["data"] == {
        "event": "withdrawn",
        "event_at": withdrawn.snapshot["event"]["at"],
        "event_id": str(withdrawn.uuid),
        "policy_version": 1,
        "reason": "withdrawn",
        "report_uuid": str(report.uuid),
        "version": 1,
        "withdrawn": True,
    }
    never = delivery_for(withdrawn, "Drugs desk")
    assert never.state == DeliveryState.SKIPPED_BY_POLICY
    assert never.reason == "withdrawn report was never sent to this partner"


def test_a_correction_no_longer_matching_the_policy_retracts_what_the_partner_holds(
    france: Administration,
) -> None:
    vocabulary()
    webhook_partner("CEN", URL, thresholds=[{"commodity": "cigarettes", "min": 100000, "dimension": "sticks"}])
    report = build_report(by=france, reference="FR-1", items=[cigarettes(200000)])
    approved = approve(report)
    event_fan_out(event_id=approved.pk)
    Delivery.objects.filter(event=approved).update(state=DeliveryState.SUCCEEDED)
    report.items.update(quantity=Decimal(500), normalised_quantity=Decimal(500))

    corrected = correct(report)
    event_fan_out(event_id=corrected.pk)
    retraction = delivery_for(corrected, "CEN")
    assert retraction.mode == DeliveryMode.TOMBSTONE
    assert retraction.reason == "no longer shared: below threshold 100000 sticks for cigarettes (500 sticks)"


def test_rendering_keeps_only_allowed_fields_generalised_as_the_policy_says(france: Administration) -> None:
    partner, _, policy = webhook_partner(
        "CEN",
        URL,
        fields=["report.seizure_date", "report.place", "report.country_of_seizure", "items.quantity", "route.place"],
        generalisations={
            "report.seizure_date": "month",
            "report.place": "country",
            "items.quantity": "bucket",
            "route.place": "country",
        },
    )
    event = approve(build_report(by=france, reference="FR-1", items=[cigarettes(250000)]))
    data = json.loads(adapter_for(partner).render(event.snapshot, policy, mode="report", personal_allowed=False))[
        "data"
    ]
    assert data["report"] == {"country_of_seizure": "FR", "place": "FR", "seizure_date": "2025-03"}
    assert data["items"] == [{"quantity": {"gte": "100000", "lt": "1000000"}}]
    assert data["route"] == [{"place": "AE"}, {"place": "FR"}]
    assert "parties" not in data and "conveyances" not in data
    assert (data["report_uuid"], data["version"], data["policy_version"]) == (event.snapshot["report_uuid"], 1, 1)


def test_a_personal_partner_receives_parties_when_its_policy_allows(france: Administration) -> None:
    partner, _, policy = webhook_partner(
        "National system",
        URL,
        personal=True,
        fields=[*NON_PERSONAL_FIELDS, "parties.family_name", "conveyances.identifier"],
    )
    event = approve(build_report(by=france, reference="FR-1"))
    data = json.loads(adapter_for(partner).render(event.snapshot, policy, mode="report", personal_allowed=True))["data"]
    assert data["parties"] == [{"age_band": "25-34", "family_name": "Martin", "role": "offender"}]
    assert data["conveyances"] == [{"identifier": "AB-123-CD", "identifier_type": "plate"}]


def test_rendering_is_deterministic(france: Administration) -> None:
    partner, _, policy = webhook_partner("CEN", URL)
    event = approve(build_report(by=france, reference="FR-1"))
    adapter = adapter_for(partner)
    first = adapter.render(event.snapshot, policy, mode="report", personal_allowed=False)
    again = adapter.render(OutboxEvent.objects.get(pk=event.pk).snapshot, policy, mode="report", personal_allowed=False)
    assert first == again


def test_fan_out_follows_a_new_policy_version_at_once(france: Administration) -> None:
    partner, _, first = webhook_partner("CEN", URL)
    event_fan_out(event_id=approve(build_report(by=france, reference="FR-1")).pk)
    second = next_policy_version(partner, fields=["report.country_of_seizure"])
    event = approve(build_report(by=france, reference="FR-2"))
    event_fan_out(event_id=event.pk)

    assert [d.policy_id for d in Delivery.objects.order_by("pk")] == [first.pk, second.pk]
    body = json.loads(
        adapter_for(partner).render(
            event.snapshot, delivery_for(event, "CEN").policy, mode="report", personal_allowed=False
        )
    )
    assert set(body["data"]["report"]) == {"country_of_seizure"}
