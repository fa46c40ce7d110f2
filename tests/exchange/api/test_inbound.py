"""POST /api/v1/inbound/reports/: signed per Standard Webhooks, idempotent by report UUID and version.

Every request here is really signed with ``standardwebhooks`` and goes through the whole stack
(token authentication, signature check, parsing, the service) via the test client.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.exchange.choices import DeliveryState
from apps.exchange.models import Delivery, OutboxEvent, ReportProvenance
from apps.exchange.services import event_fan_out
from apps.reports.choices import ReportStatus
from apps.reports.models import Party, Report
from apps.tenancy.models import Administration, Region
from tests.builders import approve, build_report, policy_version, vocabulary, webhook_partner
from tests.exchange.conftest import URL, Peer, token_for
from tests.exchange.inbound_helpers import message, new_secret, push, signed_headers, tombstone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def terms(db: None) -> None:
    vocabulary()


def nothing_stored() -> bool:
    return not Report.objects.exists() and not OutboxEvent.objects.exists() and not ReportProvenance.objects.exists()


def test_a_signed_report_is_stored_approved_for_the_peers_administration_with_its_provenance(
    client: Client, peer: Peer, germany: Administration
) -> None:
    report_uuid = uuid.uuid4()
    response = push(client, message(report_uuid), secret=peer.secret, token=peer.token)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["outcome"] == "created"
    assert body["report"] == {
        "uuid": str(report_uuid),
        "version": 1,
        "status": "approved",
        "administration": germany.code,
        "national_reference": "DE-2025-77",
    }
    assert body["provenance"]["source_partner"] == "nCEN Germany" and body["provenance"]["source_version"] == 1
    assert body["skipped"] == ["data.parties[0]: no name, not stored"]

    report = Report.objects.get(uuid=report_uuid)
    assert (report.status, report.administration, report.version) == (ReportStatus.APPROVED, germany, 1)
    assert str(report.seizure_date) == "2025-03-14" and report.country_of_seizure.code == "DE"
    item = report.items.get()
    assert (item.commodity_type.code, item.quantity, item.unit.code) == ("cigarettes", Decimal(200000), "STK")
    assert item.normalised_quantity == Decimal(200000)  # derived here, not taken from the message
    assert report.route.get().country.code == "AE"
    assert not Party.objects.filter(report=report).exists()
    provenance = report.provenance
    assert (provenance.source_partner, provenance.source_reference, provenance.source_version) == (
        peer.partner,
        "DE-2025-77",
        1,
    )
    event = OutboxEvent.objects.get(report_uuid=report_uuid)
    assert event.type == "approved" and event.snapshot["source_partner_id"] == peer.partner.pk
    assert AuditEvent.objects.filter(action="report.receive", object_uuid=report_uuid).count() == 1


def test_the_same_version_again_answers_200_with_the_report_and_changes_nothing(client: Client, peer: Peer) -> None:
    report_uuid = uuid.uuid4()
    assert push(client, message(report_uuid), secret=peer.secret, token=peer.token).status_code == 201
    again = push(client, message(report_uuid), secret=peer.secret, token=peer.token)
    assert again.status_code == 200
    assert again.json()["outcome"] == "unchanged"
    assert again.json()["report"]["version"] == 1
    assert Report.objects.count() == 1 and OutboxEvent.objects.count() == 1


def test_a_newer_version_updates_the_report_and_an_older_one_is_refused(client: Client, peer: Peer) -> None:
    report_uuid = uuid.uuid4()
    push(client, message(report_uuid), secret=peer.secret, token=peer.token)
    corrected = message(report_uuid, version=2, event="corrected")
    corrected["data"]["items"][0]["quantity"] = "180000"
    corrected["data"]["report"]["place"] = "Hamburg, Waltershof"
    response = push(client, corrected, secret=peer.secret, token=peer.token)
    assert response.status_code == 200 and response.json()["outcome"] == "updated"
    report = Report.objects.get(uuid=report_uuid)
    assert (report.version, report.place, report.items.get().quantity) == (2, "Hamburg, Waltershof", Decimal(180000))
    assert report.provenance.source_version == 2
    assert list(OutboxEvent.objects.order_by("pk").values_list("type", "report_version")) == [
        ("approved", 1),
        ("corrected", 2),
    ]

    older = push(client, message(report_uuid, version=1), secret=peer.secret, token=peer.token)
    assert older.status_code == 409
    assert older.json() == {
        "type": "stale_version",
        "message": f"Version 1 of report {report_uuid} is older than version 2 held here; ignored.",
        "details": {"held_version": 2},
    }
    assert Report.objects.get(uuid=report_uuid).version == 2 and OutboxEvent.objects.count() == 2


def test_a_tombstone_withdraws_the_report_once(client: Client, peer: Peer) -> None:
    report_uuid = uuid.uuid4()
    push(client, message(report_uuid), secret=peer.secret, token=peer.token)
    response = push(client, tombstone(report_uuid), secret=peer.secret, token=peer.token)
    assert response.status_code == 200 and response.json()["outcome"] == "withdrawn"
    assert Report.objects.get(uuid=report_uuid).status == ReportStatus.WITHDRAWN
    assert OutboxEvent.objects.filter(report_uuid=report_uuid, type="withdrawn").count() == 1
    again = push(client, tombstone(report_uuid), secret=peer.secret, token=peer.token)
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    unknown = push(client, tombstone(uuid.uuid4()), secret=peer.secret, token=peer.token)
    assert unknown.status_code == 200 and unknown.json()["outcome"] == "ignored"
    assert OutboxEvent.objects.filter(type="withdrawn").count() == 1


def test_the_answers_follow_the_partners_accept_language(client: Client, peer: Peer) -> None:
    def in_russian(body: dict[str, Any]) -> Any:
        raw = json.dumps(body).encode()
        return push(
            client,
            raw,
            secret=peer.secret,
            token=peer.token,
            headers={**signed_headers(peer.secret, raw), "Accept-Language": "ru"},
        )

    report_uuid = uuid.uuid4()
    assert in_russian(message(report_uuid, version=2)).json()["message"] == (
        f"Сообщение {report_uuid} версии 2 сохранено."
    )
    older = in_russian(message(report_uuid, version=1))
    assert older.status_code == 409
    assert older.json()["message"] == (f"Версия 1 сообщения {report_uuid} старее хранящейся здесь версии 2; пропущено.")
    missing = uuid.uuid4()
    assert in_russian(tombstone(missing)).json()["message"] == f"Сообщения {missing} здесь нет: отзывать нечего."


@pytest.mark.parametrize("problem", ["wrong secret", "stale", "from the future", "tampered body", "no headers"])
def test_a_bad_or_stale_signature_is_a_401_and_nothing_is_stored(client: Client, peer: Peer, problem: str) -> None:
    body = json.dumps(message(uuid.uuid4())).encode()
    headers = signed_headers(peer.secret, body)
    if problem == "wrong secret":
        headers = signed_headers(new_secret(), body)
    elif problem == "stale":
        headers = signed_headers(peer.secret, body, at=timezone.now() - dt.timedelta(minutes=6))
    elif problem == "from the future":
        headers = signed_headers(peer.secret, body, at=timezone.now() + dt.timedelta(minutes=6))
    elif problem == "tampered body":
        body = body.replace(b"200000", b"900000")
    else:
        headers = {}
    response = push(client, body, secret=peer.secret, token=peer.token, headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["type"] == "invalid_signature"
    assert "nothing was stored" in response.json()["message"]
    assert nothing_stored()


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        (lambda m: m["data"]["report"].pop("seizure_date"), "data.report.seizure_date", "This field is required."),
        (
            lambda m: m["data"]["report"].update(seizure_date="2025-03"),  # generalised to the month
            "data.report.seizure_date",
            "Enter a date as YYYY-MM-DD.",
        ),
        (lambda m: m["data"]["items"][0].update(quantity="lots"), "data.items[0].quantity", "Enter a number."),
        (
            lambda m: m["data"]["items"][0].update(commodity_type="unicorns"),
            "data.items[0].commodity_type",
            "Unknown code: 'unicorns'.",
        ),
        (lambda m: m["data"].update(report_uuid="not-a-uuid"), "data.report_uuid", "The report's UUID."),
        (
            lambda m: m["data"].update(version=0),
            "data.version",
            "The report's version: a whole number of at least 1.",
        ),
        (
            lambda m: m.update(type="report.exploded"),
            "type",
            "One of report.approved, report.corrected, report.withdrawn.",
        ),
        (lambda m: m["data"].update(route="AE"), "data.route", "A list of objects."),
        (
            lambda m: m["data"]["report"].update(colour="red"),
            "data.report.colour",
            "This field cannot be set.",
        ),
    ],
)
def test_a_malformed_message_is_a_400_naming_the_field_and_nothing_is_stored(
    client: Client, peer: Peer, change: object, field: str, error: str
) -> None:
    body = message(uuid.uuid4())
    change(body)  # type: ignore[operator]
    response = push(client, body, secret=peer.secret, token=peer.token)
    assert response.status_code == 400, response.json()
    assert response.json()["type"] == "invalid"
    assert error in response.json()["details"][field]
    assert nothing_stored()


def test_a_body_that_is_not_json_is_a_400(client: Client, peer: Peer) -> None:
    response = push(client, b"{not json", secret=peer.secret, token=peer.token)
    assert response.status_code == 400 and response.json()["type"] == "parse_error"
    assert nothing_stored()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_an_oversized_body_is_a_413_and_nothing_is_stored(client: Client, peer: Peer) -> None:
    body = message(uuid.uuid4())
    body["data"]["items"][0]["description"] = "x" * 4000
    response = push(client, body, secret=peer.secret, token=peer.token)
    assert response.status_code == 413 and response.json()["type"] == "request_too_large"
    assert nothing_stored()


def test_only_a_configured_peers_account_may_push(client: Client, peer: Peer, erin: object, ivan: object) -> None:
    body = message(uuid.uuid4())
    assert push(client, body, secret=peer.secret, token=None).status_code == 401
    assert push(client, body, secret=peer.secret, token=token_for(erin, "write")).status_code == 403  # type: ignore[arg-type]
    response = push(client, body, secret=peer.secret, token=token_for(ivan, "write"))  # type: ignore[arg-type]
    assert (
        response.status_code == 403 and response.json()["message"] == "This account is not linked to a partner system."
    )
    read_only = push(client, body, secret=peer.secret, token=token_for(peer.partner.account, "read"))  # type: ignore[arg-type]
    assert read_only.status_code == 403 and read_only.json()["type"] == "insufficient_scope"
    peer.partner.source_administration = None
    peer.partner.save()
    unconfigured = push(client, body, secret=peer.secret, token=peer.token)
    assert unconfigured.status_code == 403
    assert "is not set up to push reports in" in unconfigured.json()["message"]
    assert nothing_stored()


def test_a_peer_cannot_overwrite_a_report_it_did_not_send_and_learns_nothing_of_it(
    client: Client, peer: Peer, france: Administration
) -> None:
    ours = build_report(by=france, reference="FR-1")
    approve(ours)
    ours.refresh_from_db()
    response = push(client, message(ours.uuid, version=5), secret=peer.secret, token=peer.token)
    # Another administration's report, out of the peer's reach: "not found", never 409 (which would tell it exists).
    assert response.status_code == 404 and response.json()["type"] == "not_found"
    assert str(ours.uuid) not in response.content.decode() and "FR-1" not in response.content.decode()
    # A tombstone for it is answered exactly as one for a report that is not here.
    withdrawn = push(client, tombstone(ours.uuid, version=5), secret=peer.secret, token=peer.token)
    missing_uuid = uuid.uuid4()
    missing = push(client, tombstone(missing_uuid, version=5), secret=peer.secret, token=peer.token)
    assert (withdrawn.status_code, withdrawn.json()["outcome"]) == (missing.status_code, missing.json()["outcome"])
    assert withdrawn.json()["message"] == missing.json()["message"].replace(str(missing_uuid), str(ours.uuid))
    ours.refresh_from_db()
    assert (ours.administration, ours.version, ours.place, ours.status) == (
        france,
        1,
        "Port of Le Havre, quay 4",
        ReportStatus.APPROVED,
    )


def test_a_peer_that_may_see_a_report_sent_by_other_means_is_told_it_is_held_from_another_source(
    client: Client, peer: Peer, germany: Administration
) -> None:
    theirs = build_report(by=germany, reference="DE-WEB-1")  # entered on the web by German Customs
    approve(theirs)
    account = peer.partner.account
    assert account is not None
    account.administration = germany  # a national system account of German Customs
    account.save()
    response = push(client, message(theirs.uuid, version=5), secret=peer.secret, token=peer.token)
    assert response.status_code == 409 and response.json()["type"] == "other_source"


def test_a_received_report_goes_to_other_partners_but_never_back_to_its_source(client: Client, peer: Peer) -> None:
    # The peer would also receive reports from us (a policy sharing everything), and so does CEN.

    policy_version(
        partner=peer.partner,
        regions=["*"],
        administrations=["*"],
        commodity_categories=["*"],
        report_kinds=["*"],
        fields=["report.kind", "report.country_of_seizure"],
    )
    webhook_partner("CEN", URL)
    report_uuid = uuid.uuid4()
    push(client, message(report_uuid), secret=peer.secret, token=peer.token)
    event = OutboxEvent.objects.get(report_uuid=report_uuid)
    event_fan_out(event_id=event.pk)

    back = Delivery.objects.get(event=event, partner=peer.partner)
    assert (back.state, back.reason) == (DeliveryState.SKIPPED_BY_POLICY, "report was received from this partner")
    assert back.feed_seq is None
    assert Delivery.objects.get(event=event, partner__name="CEN").state == DeliveryState.PENDING

    corrected = message(report_uuid, version=2, event="corrected")
    push(client, corrected, secret=peer.secret, token=peer.token)
    push(client, tombstone(report_uuid, version=2), secret=peer.secret, token=peer.token)
    for later in OutboxEvent.objects.filter(report_uuid=report_uuid).exclude(pk=event.pk).order_by("pk"):
        event_fan_out(event_id=later.pk)
        # CEN got each version before the next (a version never sent is dropped by a withdrawal).
        Delivery.objects.filter(report_uuid=report_uuid, partner__name="CEN", state="pending").exclude(
            event=later
        ).update(state="succeeded", attempts=1)
        assert Delivery.objects.get(event=later, partner=peer.partner).state == DeliveryState.SKIPPED_BY_POLICY
    assert list(Delivery.objects.filter(partner__name="CEN").order_by("event_id").values_list("mode", flat=True)) == [
        "report",
        "report",
        "tombstone",
    ]


@pytest.mark.parametrize("event_type", ["approved", "corrected", "withdrawn"])
def test_nothing_about_a_received_report_goes_back_to_its_source_not_even_a_tombstone(
    peer: Peer, event_type: str
) -> None:
    from apps.exchange.policy import decide

    snapshot = {"event": {"type": event_type}, "source_partner_id": peer.partner.pk, "report": {}, "items": []}
    decision = decide(snapshot=snapshot, partner=peer.partner, policy=None, previously_reached=True, receivable={})
    assert (decision.state, decision.mode, decision.reason) == (
        DeliveryState.SKIPPED_BY_POLICY,
        "report",
        "report was received from this partner",
    )


def test_a_report_attached_to_an_operation_of_another_region_is_a_400_naming_the_field(
    client: Client, peer: Peer, region_cis: Region
) -> None:
    from apps.reports.models import Operation

    Operation.objects.create(code="steppe", name="Operation Steppe", region=region_cis)
    body = message(uuid.uuid4())
    body["data"]["report"]["operation"] = "steppe"
    response = push(client, body, secret=peer.secret, token=peer.token)
    assert response.status_code == 400, response.json()
    assert list(response.json()["details"]) == ["data.report.operation"]
    assert nothing_stored()


@pytest.mark.parametrize("also_wrong", [False, True], ids=["alone", "beside another bad field"])
def test_another_regions_operation_is_answered_as_a_code_that_names_none(
    client: Client, peer: Peer, region_cis: Region, also_wrong: bool
) -> None:
    # Whether another region has an operation of that code is not the peer's to learn, from the words, the
    # fields named or when in the checking the refusal comes.
    from apps.reports.models import Operation

    Operation.objects.create(code="steppe", name="Operation Steppe", region=region_cis)
    answers = []
    for code in ("steppe", "nosuchop"):
        body = message(uuid.uuid4())
        body["data"]["report"]["operation"] = code
        if also_wrong:
            body["data"]["report"]["seizure_date"] = "not a date"
        response = push(client, body, secret=peer.secret, token=peer.token)
        assert response.status_code == 400, response.json()
        answers.append(json.dumps(response.json()["details"], sort_keys=True).replace(code, "CODE"))

    assert answers[0] == answers[1]
    assert "data.report.operation" in answers[0]
    assert nothing_stored()


def test_a_peer_attaches_an_operation_of_its_own_region_and_keeps_one_its_report_has(
    client: Client, peer: Peer, germany: Administration, region_cis: Region
) -> None:
    from apps.reports.models import Operation

    own = Operation.objects.create(code="baltic", name="Operation Baltic", region=germany.region)
    report_uuid = uuid.uuid4()
    body = message(report_uuid)
    body["data"]["report"]["operation"] = "baltic"
    assert push(client, body, secret=peer.secret, token=peer.token).status_code == 201
    assert Report.objects.get(uuid=report_uuid).operation == own

    # Attached meanwhile to another region's operation (as a RILO user may): a newer version naming it is kept.
    elsewhere = Operation.objects.create(code="steppe", name="Operation Steppe", region=region_cis)
    Report.objects.filter(uuid=report_uuid).update(operation=elsewhere)
    newer = message(report_uuid, version=2)
    newer["data"]["report"]["operation"] = "steppe"
    response = push(client, newer, secret=peer.secret, token=peer.token)
    assert response.status_code == 200, response.json()
    assert Report.objects.get(uuid=report_uuid).operation == elsewhere
