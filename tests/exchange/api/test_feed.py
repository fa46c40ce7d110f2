"""GET /api/v1/feed/: a partner pulls its own messages in order, tombstones included, as they are pushed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.exchange.adapters import adapter_for
from apps.exchange.choices import DeliveryMode
from apps.exchange.models import Delivery, OutboxEvent, PartnerSystem
from apps.exchange.services import (
    event_fan_out,
    exchange_sweep,
)
from apps.tenancy.models import Administration
from tests.builders import (
    approve,
    build_report,
    cigarettes,
    cocaine,
    correct,
    next_policy_version,
    partner_change,
    partner_disabled,
    vocabulary,
    webhook_partner,
    withdraw,
)
from tests.exchange.conftest import URL, token_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
FEED = "/api/v1/feed/"


def linked(partner: PartnerSystem, username: str) -> str:
    """Give ``partner`` an account and return a read token of it."""
    account = UserFactory.create(username=username, role=Role.PARTNER_SYSTEM)
    partner.account = account
    partner.save(update_fields=["account"])
    return token_for(account, "read")


def fanned_out(event: OutboxEvent) -> OutboxEvent:
    event_fan_out(event_id=event.pk)
    return event


def read_all(api: APIClient, token: str, url: str = FEED + "?page_size=2") -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        response = api.get(next_url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200, response.json()
        messages += response.json()["results"]
        next_url = response.json()["next"]
    return messages


@pytest.fixture
def two_partners(france: Administration) -> dict[str, Any]:
    vocabulary()
    cen, _, _ = webhook_partner("CEN", URL)
    drugs, _, _ = webhook_partner("Drugs desk", URL, commodity_categories=["drugs"])
    return {"cen": cen, "cen_token": linked(cen, "cen"), "drugs": drugs, "drugs_token": linked(drugs, "drugs")}


def test_a_partner_reads_its_messages_in_order_with_a_cursor_tombstones_included(
    api: APIClient, france: Administration, two_partners: dict[str, Any]
) -> None:
    cen = two_partners["cen"]
    first = build_report(by=france, reference="FR-1")
    fanned_out(approve(first))
    fanned_out(approve(build_report(by=france, reference="FR-2", items=[cocaine(5)])))
    fanned_out(approve(build_report(by=france, reference="FR-3")))
    Delivery.objects.filter(report_uuid=first.uuid).update(state="succeeded", attempts=1)  # it reached CEN
    fanned_out(withdraw(first))

    messages = read_all(api, two_partners["cen_token"])
    deliveries = list(Delivery.objects.filter(partner=cen, feed_seq__isnull=False).order_by("feed_seq"))
    assert [m["feed_seq"] for m in messages] == [d.feed_seq for d in deliveries]
    assert len(messages) == 4
    assert [m["mode"] for m in messages] == ["report", "report", "report", "tombstone"]
    assert [m["message"]["type"] for m in messages] == [
        "report.approved",
        "report.approved",
        "report.approved",
        "report.withdrawn",
    ]
    tombstone = messages[-1]
    assert tombstone["report_uuid"] == str(first.uuid) and tombstone["message"]["data"]["withdrawn"] is True
    for message, delivery in zip(messages, deliveries, strict=True):
        # The same renderer and policy as push: the very bytes the webhook adapter sends.
        pushed = adapter_for(cen).render(
            delivery.event.snapshot, delivery.policy, mode=delivery.mode, personal_allowed=False
        )
        assert message["payload_sha256"] == hashlib.sha256(pushed).hexdigest() == delivery.payload_hash
        assert message["message"] == json.loads(pushed)
        assert message["event_id"] == str(delivery.event.uuid)


def test_another_partners_messages_never_appear(
    api: APIClient, france: Administration, two_partners: dict[str, Any]
) -> None:
    fanned_out(approve(build_report(by=france, reference="FR-1")))  # tobacco: CEN only
    fanned_out(approve(build_report(by=france, reference="FR-2", items=[cocaine(5)])))

    drugs = read_all(api, two_partners["drugs_token"])
    cen = read_all(api, two_partners["cen_token"])
    drugs_seqs = set(
        Delivery.objects.filter(partner=two_partners["drugs"], feed_seq__isnull=False).values_list(
            "feed_seq", flat=True
        )
    )
    assert {m["feed_seq"] for m in drugs} == drugs_seqs and len(drugs) == 1
    assert not drugs_seqs & {m["feed_seq"] for m in cen}
    assert len(cen) == 2


def test_coming_back_after_the_last_message_gives_only_new_ones(
    api: APIClient, france: Administration, two_partners: dict[str, Any]
) -> None:
    fanned_out(approve(build_report(by=france, reference="FR-1")))
    seen = read_all(api, two_partners["cen_token"])
    last = seen[-1]["feed_seq"]
    assert read_all(api, two_partners["cen_token"], f"{FEED}?after={last}") == []
    fanned_out(approve(build_report(by=france, reference="FR-2")))
    new = read_all(api, two_partners["cen_token"], f"{FEED}?after={last}")
    assert len(new) == 1 and new[0]["feed_seq"] > last
    bad = api.get(f"{FEED}?after=yesterday", HTTP_AUTHORIZATION=f"Bearer {two_partners['cen_token']}")
    assert bad.status_code == 400 and "after" in bad.json()["details"]


def embargo_ends(event: OutboxEvent) -> None:
    """Move the end of the embargo holding ``event``'s messages into the past."""
    past = timezone.now() - dt.timedelta(seconds=1)
    Delivery.objects.filter(event=event).update(next_attempt_at=past, feed_from=past)


def test_the_feed_never_shows_a_message_under_embargo_nor_skips_past_one(
    api: APIClient, france: Administration
) -> None:
    vocabulary()
    partner, _, _ = webhook_partner("Embargoed", URL, embargo=dt.timedelta(hours=48))
    token = linked(partner, "embargoed")
    first = fanned_out(approve(build_report(by=france, reference="FR-1")))
    second = fanned_out(approve(build_report(by=france, reference="FR-2")))
    assert read_all(api, token) == []

    embargo_ends(second)
    [message] = read_all(api, token)
    assert message["report_uuid"] == str(second.report_uuid)
    embargo_ends(first)
    later = read_all(api, token, f"{FEED}?after={message['feed_seq']}")
    assert [m["report_uuid"] for m in later] == [str(first.report_uuid)]  # numbered when it joined: not skipped
    assert later[0]["feed_seq"] > message["feed_seq"]


def test_a_shortened_embargo_does_not_hold_newer_messages_back(api: APIClient, france: Administration) -> None:
    vocabulary()
    partner, _, _ = webhook_partner("Embargoed", URL, embargo=dt.timedelta(hours=48))
    token = linked(partner, "embargoed")
    held = fanned_out(approve(build_report(by=france, reference="FR-1")))
    next_policy_version(partner)  # no embargo any more
    due = fanned_out(approve(build_report(by=france, reference="FR-2")))

    assert [m["report_uuid"] for m in read_all(api, token)] == [str(due.report_uuid)]
    embargo_ends(held)
    assert [m["report_uuid"] for m in read_all(api, token)] == [str(due.report_uuid), str(held.report_uuid)]


def test_a_report_withdrawn_during_its_embargo_never_appears(api: APIClient, france: Administration) -> None:
    vocabulary()
    partner, _, _ = webhook_partner("Embargoed", URL, embargo=dt.timedelta(hours=48))
    token = linked(partner, "embargoed")
    report = build_report(by=france, reference="FR-1")
    approved = fanned_out(approve(report))
    fanned_out(withdraw(report))
    Delivery.objects.filter(event=approved).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))

    assert read_all(api, token) == []
    assert not Delivery.objects.filter(partner=partner, feed_seq__isnull=False).exists()


def test_a_message_that_would_now_carry_personal_data_is_withheld(api: APIClient, france: Administration) -> None:
    vocabulary()
    partner, _, _ = webhook_partner("National system", URL, personal=True)
    token = linked(partner, "national")
    event = fanned_out(
        approve(
            build_report(
                by=france, reference="FR-1", items=[cigarettes(description="Call the driver on +33 6 12 34 56 78")]
            ),
            free_text_checked=True,  # by mistake: the scanner still reads the description
        )
    )
    assert Delivery.objects.get(event=event).feed_seq is not None
    assert read_all(api, token)[0]["message"] is not None
    partner_change(partner=partner, personal_data_allowed=False)

    message = read_all(api, token)[0]
    assert message["message"] is None
    assert message["withheld"].startswith("personal data found in the rendered message, not sent: phone number")
    assert message["mode"] == DeliveryMode.REPORT


def test_only_a_partner_systems_own_account_reads_a_feed(
    api: APIClient, erin: User, ivan: User, two_partners: dict[str, Any]
) -> None:
    assert api.get(FEED).status_code == 401
    for user in (erin, ivan):  # an analyst; a partner account linked to no partner
        response = api.get(FEED, HTTP_AUTHORIZATION=f"Bearer {token_for(user, 'read')}")
        assert response.status_code == 403, user
    partner_disabled(partner=two_partners["cen"], reason="contract ended")
    response = api.get(FEED, HTTP_AUTHORIZATION=f"Bearer {two_partners['cen_token']}")
    assert response.status_code == 403 and response.json()["message"] == "CEN is disabled."


def test_the_sweeper_gives_a_message_its_place_when_its_embargo_ends(france: Administration) -> None:
    vocabulary()
    webhook_partner("Embargoed", URL, embargo=dt.timedelta(hours=48))
    first = fanned_out(approve(build_report(by=france, reference="FR-1")))
    second = fanned_out(approve(build_report(by=france, reference="FR-2")))
    assert exchange_sweep()["joined_feed"] == 0

    embargo_ends(second)  # the embargo of the second report ends first
    embargo_ends(first)
    assert exchange_sweep()["joined_feed"] == 2
    first_seq, second_seq = (Delivery.objects.get(event=event).feed_seq for event in (first, second))
    assert first_seq is not None and second_seq is not None
    assert second_seq < first_seq  # in the order they joined the feed
    assert exchange_sweep()["joined_feed"] == 0


def test_a_withdrawal_reaches_the_feed_of_a_partner_that_could_read_the_report_there(
    api: APIClient, france: Administration, two_partners: dict[str, Any]
) -> None:
    cen = two_partners["cen"]
    PartnerSystem.objects.filter(pk=cen.pk).update(state="paused")  # nothing is pushed: the feed is all it has
    report = build_report(by=france, reference="FR-1")
    approved = fanned_out(approve(report))
    assert [m["mode"] for m in read_all(api, two_partners["cen_token"])] == ["report"]

    withdrawn = fanned_out(withdraw(report))

    messages = read_all(api, two_partners["cen_token"])
    assert [(m["event_id"], m["mode"]) for m in messages] == [
        (str(approved.uuid), "report"),
        (str(withdrawn.uuid), "tombstone"),
    ]
    unsent = Delivery.objects.get(event=approved, partner=cen)
    assert (unsent.state, unsent.reason) == ("skipped_by_policy", "withdrawn before it was sent")  # never pushed


def test_a_correction_never_joins_the_feed_before_the_version_its_embargo_still_holds(
    api: APIClient, france: Administration
) -> None:
    vocabulary()
    partner, _, _ = webhook_partner("Embargoed", URL, embargo=dt.timedelta(hours=48))
    token = linked(partner, "embargoed")
    report = build_report(by=france, reference="FR-1")
    first = fanned_out(approve(report))
    next_policy_version(partner)  # the embargo is lifted: the correction is due at once
    second = fanned_out(correct(report, place="Port of Le Havre"))
    assert read_all(api, token) == []  # version 2 waits for version 1

    embargo_ends(first)
    read_all(api, token)  # version 1 joins
    messages = read_all(api, token)  # then version 2
    assert [m["event_id"] for m in messages] == [str(first.uuid), str(second.uuid)]
    assert messages[0]["feed_seq"] < messages[1]["feed_seq"]
