"""Replays send only what is current and still allowed: never history, never withdrawn or duplicate content."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.core.exceptions import Conflict
from apps.exchange.choices import AttemptOutcome, DeliveryState
from apps.exchange.models import Delivery, DeliveryAttempt, OutboxEvent, PartnerSystem
from apps.exchange.services import deliveries_send_due, delivery_replay, event_fan_out, partner_deliveries_replay_since
from apps.reports.models import Report
from apps.reports.services import report_mark_duplicate
from apps.tenancy.models import Administration, Region
from bench.partners import WebhookPartner
from tests.builders import (
    NON_PERSONAL_FIELDS,
    analyst,
    approve,
    build_report,
    correct,
    next_policy_version,
    vocabulary,
    webhook_partner,
    withdraw,
)

pytestmark = pytest.mark.django_db
SignedIn = Callable[..., Client]


@pytest.fixture
def cen(region_we: Region, receiver: WebhookPartner) -> PartnerSystem:
    vocabulary()
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    partner.region = region_we
    partner.save(update_fields=["region"])
    return partner


def sent(event: OutboxEvent) -> OutboxEvent:
    """Fan ``event`` out and send everything due, as the workers would."""
    event_fan_out(event_id=event.pk)
    deliveries_send_due(batch=50, budget_seconds=20)
    return event


def bodies_after(receiver: WebhookPartner, count: int) -> list[dict[str, Any]]:
    """The verified bodies the receiver accepted after its first ``count`` requests."""
    requests, _ = receiver.snapshot()
    return [r.body for r in requests[count:] if r.verified and r.body is not None]


def replay_everything(grace: User, partner: PartnerSystem) -> Any:
    result = partner_deliveries_replay_since(actor=grace, partner=partner, since=timezone.now() - dt.timedelta(hours=1))
    deliveries_send_due(batch=50, budget_seconds=20)
    return result


def test_a_replay_sends_the_report_s_current_version_rendered_with_the_current_policy(
    grace: User, france: Administration, cen: PartnerSystem, receiver: WebhookPartner
) -> None:
    report = build_report(by=france, reference="FR-1")
    sent(approve(report))
    sent(correct(report, place="Port of Le Havre, quay 9"))
    before = len(receiver.snapshot()[0])
    assert before == 2
    # The partner's policy changes: the place no longer goes out, and the date only as a month.
    next_policy_version(
        cen,
        fields=[f for f in NON_PERSONAL_FIELDS if f != "report.place"],
        generalisations={"report.seizure_date": "month"},
    )

    result = replay_everything(grace, cen)

    [body] = bodies_after(receiver, before)
    data = body["data"]
    assert (data["version"], data["policy_version"]) == (2, 2)
    assert "place" not in data["report"] and data["report"]["seizure_date"] == "2025-03"
    assert result.sent == 1 and result.skipped == []
    replayed = Delivery.objects.get(partner=cen, event__report_version=2)
    assert replayed.state == DeliveryState.SUCCEEDED and replayed.policy is not None
    assert replayed.policy.version == 2 and replayed.replayed_at is not None


def test_a_replay_skips_withdrawn_reports(
    grace: User, france: Administration, cen: PartnerSystem, receiver: WebhookPartner
) -> None:
    report = build_report(by=france, reference="FR-1")
    approved = sent(approve(report))
    sent(withdraw(report))
    before = len(receiver.snapshot()[0])
    content = Delivery.objects.get(event=approved, partner=cen)

    with pytest.raises(Conflict, match=r"Not sent again: the report was withdrawn\."):
        delivery_replay(actor=grace, delivery=content)
    content.refresh_from_db()
    assert content.state == DeliveryState.SUCCEEDED and content.replayed_at is None

    replay_everything(grace, cen)
    bodies = bodies_after(receiver, before)
    assert [b["type"] for b in bodies] == ["report.withdrawn"]  # the tombstone only: no content again
    assert bodies[0]["data"]["withdrawn"] is True and "report" not in bodies[0]["data"]


def test_a_replay_skips_duplicate_reports(
    grace: User, france: Administration, cen: PartnerSystem, receiver: WebhookPartner
) -> None:
    original = build_report(by=france, reference="FR-1")
    duplicate = build_report(by=france, reference="FR-2")
    sent(approve(original))
    twice = sent(approve(duplicate))
    report_mark_duplicate(report=duplicate, of=original, actor=analyst(duplicate))
    sent(OutboxEvent.objects.filter(report_uuid=duplicate.uuid).latest("pk"))
    before = len(receiver.snapshot()[0])

    content = Delivery.objects.get(event=twice, partner=cen)
    with pytest.raises(Conflict, match=r"Not sent again: the report is marked as a duplicate\."):
        delivery_replay(actor=grace, delivery=content)

    replay_everything(grace, cen)
    bodies = bodies_after(receiver, before)
    about_duplicate = [b for b in bodies if b["data"]["report_uuid"] == str(duplicate.uuid)]
    assert [b["type"] for b in about_duplicate] == ["report.withdrawn"]
    assert about_duplicate[0]["data"]["reason"] == "duplicate"
    about_original = [b for b in bodies if b["data"]["report_uuid"] == str(original.uuid)]
    assert [(b["type"], b["data"]["version"]) for b in about_original] == [("report.approved", 1)]


def test_a_replay_never_sends_a_superseded_version(
    grace: User, france: Administration, cen: PartnerSystem, receiver: WebhookPartner
) -> None:
    report = build_report(by=france, reference="FR-1")
    first = sent(approve(report))
    sent(correct(report, seizure_date="2025-01-05"))
    sent(correct(report, seizure_date="2025-01-06"))
    before = len(receiver.snapshot()[0])
    assert before == 3

    superseded = Delivery.objects.get(event=first, partner=cen)
    with pytest.raises(Conflict, match=r"superseded by a later message about the report \(version 3, “Corrected”\)"):
        delivery_replay(actor=grace, delivery=superseded)
    superseded.refresh_from_db()
    assert superseded.state == DeliveryState.SUCCEEDED

    result = replay_everything(grace, cen)
    assert result.sent == 1
    bodies = bodies_after(receiver, before)
    assert [b["data"]["version"] for b in bodies] == [3]  # the latest version, once
    assert bodies[0]["data"]["report"]["seizure_date"] == "2025-01-06"


def test_a_replay_window_longer_than_the_limit_is_refused(
    signed_in: SignedIn, grace: User, france: Administration, cen: PartnerSystem
) -> None:
    sent(approve(build_report(by=france, reference="FR-1")))
    Delivery.objects.filter(partner=cen).update(created_at=timezone.now() - dt.timedelta(days=6))
    states = list(Delivery.objects.values_list("pk", "state", "replayed_at"))

    with pytest.raises(ValidationError) as refused:
        partner_deliveries_replay_since(actor=grace, partner=cen, since=timezone.now() - dt.timedelta(days=8))
    assert "A replay reaches back at most 7 days" in refused.value.message_dict["since"][0]

    since = (timezone.now() - dt.timedelta(days=8)).strftime("%Y-%m-%dT%H:%M")
    page = signed_in(grace).post(reverse("exchange:partner_replay_since", args=[cen.pk]), {"since": since}, follow=True)
    assert "A replay reaches back at most 7 days: choose a time after" in page.content.decode()
    assert list(Delivery.objects.values_list("pk", "state", "replayed_at")) == states
    with override_settings(RILO_REPLAY_MAX_DAYS=2), pytest.raises(ValidationError):
        partner_deliveries_replay_since(actor=grace, partner=cen, since=timezone.now() - dt.timedelta(days=3))
    assert (
        partner_deliveries_replay_since(
            actor=grace, partner=cen, since=timezone.now() - dt.timedelta(days=7, minutes=-1)
        ).sent
        == 1
    )


def test_a_report_the_current_policy_no_longer_allows_is_not_replayed_and_the_reason_is_kept(
    grace: User, france: Administration, cen: PartnerSystem, receiver: WebhookPartner
) -> None:
    approved = sent(approve(build_report(by=france, reference="FR-1")))
    next_policy_version(cen, note="unchanged")
    # Version 3 keeps only drugs: this tobacco seizure is no longer shared with CEN.
    next_policy_version(cen, commodity_categories=["drugs"])
    before = len(receiver.snapshot()[0])

    result = replay_everything(grace, cen)

    assert bodies_after(receiver, before) == []
    assert result.sent == 0
    delivery = Delivery.objects.get(event=approved, partner=cen)
    reason = "not sent again: no longer allowed by the current policy v3: commodity category tobacco not in policy v3"
    assert result.skipped == [(delivery.pk, reason)]
    assert delivery.state == DeliveryState.SUCCEEDED  # it was sent once; that stays true
    attempt = DeliveryAttempt.objects.filter(delivery=delivery).latest("pk")
    assert (attempt.outcome, attempt.error) == (AttemptOutcome.REFUSED, reason)
    audit = AuditEvent.objects.get(action="exchange.delivery_replay_since")
    assert audit.detail["skipped"] == [{"delivery": delivery.pk, "reason": reason}]


def test_a_report_withdrawn_after_its_replay_was_asked_is_not_sent(
    grace: User, france: Administration, cen: PartnerSystem, receiver: WebhookPartner
) -> None:
    report = build_report(by=france, reference="FR-1")
    approved = sent(approve(report))
    delivery = Delivery.objects.get(event=approved, partner=cen)
    delivery_replay(actor=grace, delivery=delivery)
    Report.objects.filter(pk=report.pk).update(status="withdrawn")  # between the request and the send
    before = len(receiver.snapshot()[0])

    deliveries_send_due(batch=10, budget_seconds=10)

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.NEEDS_ATTENTION
    assert delivery.reason == "not sent again: the report was withdrawn"
    assert bodies_after(receiver, before) == []
