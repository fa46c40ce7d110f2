"""A partner belongs to its RILO: it receives that region's reports, and another region's only by agreement.

The partners are real webhook receivers on loopback; reports go through the real workflow services
and fan-out. Agreements are asked for and decided through the services the pages call.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.exchange.choices import AttemptOutcome, DeliveryState
from apps.exchange.feed import feed_message
from apps.exchange.models import CrossRegionAgreement, Delivery, OutboxEvent, PartnerSystem
from apps.exchange.selectors import partner_current_policy, partner_receivable_regions
from apps.exchange.services import (
    agreement_approve,
    agreement_request,
    agreement_revoke,
    delivery_send_one,
    event_deliver,
    partner_update,
)
from apps.tenancy.models import Administration, Region
from bench.partners import Step, WebhookPartner
from tests.builders import approve, build_report, policy_version, webhook_partner
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def olga(region_cis: Region) -> User:
    return UserFactory.create(username="olga", role=Role.RILO_ADMINISTRATOR, region=region_cis)


@pytest.fixture
def names_everywhere(region_we: Region, receiver: WebhookPartner) -> PartnerSystem:
    """Grace's region's partner with the widest policy: every region, every administration, personal data."""
    partner, receiver.secret, _ = webhook_partner(
        "Names everywhere", receiver.url, personal=True, region=region_we, fields=["report.kind", "parties.family_name"]
    )
    return partner


def delivered(event: OutboxEvent, partner: PartnerSystem) -> Delivery:
    event_deliver(event_id=event.pk)
    return Delivery.objects.get(event=event, partner=partner)


def test_another_regions_report_never_reaches_a_partner_without_an_agreement(
    names_everywhere: PartnerSystem, kazakhstan: Administration, receiver: WebhookPartner
) -> None:
    delivery = delivered(approve(build_report(by=kazakhstan, reference="KZ-1")), names_everywhere)

    assert delivery.state == DeliveryState.SKIPPED_BY_POLICY
    assert delivery.reason == "region rilo-cis is not Names everywhere's and no agreement with it is in force"
    assert delivery.feed_seq is None
    requests, _ = receiver.snapshot()
    assert requests == []


def test_a_regions_star_policy_covers_only_the_partners_own_region(
    names_everywhere: PartnerSystem, france: Administration, kazakhstan: Administration, receiver: WebhookPartner
) -> None:
    policy = names_everywhere.policies.get()
    assert (policy.regions, policy.administrations) == (["*"], ["*"])

    french = delivered(approve(build_report(by=france, reference="FR-1")), names_everywhere)
    kazakh = delivered(approve(build_report(by=kazakhstan, reference="KZ-1")), names_everywhere)

    assert french.state == DeliveryState.SUCCEEDED
    assert kazakh.state == DeliveryState.SKIPPED_BY_POLICY
    _, receipts = receiver.snapshot()
    assert list(receipts) == [str(french.event.uuid)]
    assert "Martin" in str(receipts[str(french.event.uuid)].body)  # names of its own region: its policy says so


def test_an_agreement_approved_by_the_other_regions_administrator_lets_its_reports_through(
    names_everywhere: PartnerSystem,
    grace: User,
    olga: User,
    region_cis: Region,
    kazakhstan: Administration,
    receiver: WebhookPartner,
) -> None:
    agreement = agreement_request(actor=grace, partner=names_everywhere, region=region_cis, personal_data=True)
    asked = delivered(approve(build_report(by=kazakhstan, reference="KZ-1")), names_everywhere)
    assert asked.state == DeliveryState.SKIPPED_BY_POLICY  # asked is not approved

    agreement_approve(actor=olga, agreement=agreement)
    through = delivered(approve(build_report(by=kazakhstan, reference="KZ-2")), names_everywhere)

    assert through.state == DeliveryState.SUCCEEDED
    _, receipts = receiver.snapshot()
    assert list(receipts) == [str(through.event.uuid)]
    assert "Martin" in str(receipts[str(through.event.uuid)].body)


def test_an_agreement_without_personal_data_keeps_a_personal_policy_from_that_region(
    names_everywhere: PartnerSystem, grace: User, olga: User, region_cis: Region, kazakhstan: Administration
) -> None:
    agreement_approve(actor=olga, agreement=agreement_request(actor=grace, partner=names_everywhere, region=region_cis))
    delivery = delivered(approve(build_report(by=kazakhstan, reference="KZ-1")), names_everywhere)

    assert delivery.state == DeliveryState.SKIPPED_BY_POLICY
    assert delivery.reason == (
        "the agreement with region rilo-cis does not cover personal data, and policy v1 carries it"
    )


def test_a_revoked_agreement_stops_them(
    names_everywhere: PartnerSystem,
    grace: User,
    olga: User,
    region_cis: Region,
    kazakhstan: Administration,
    receiver: WebhookPartner,
) -> None:
    agreement = agreement_approve(
        actor=olga,
        agreement=agreement_request(actor=grace, partner=names_everywhere, region=region_cis, personal_data=True),
    )
    # A message decided while the agreement held, not yet sent (paused partner), and in the pull feed.
    PartnerSystem.objects.filter(pk=names_everywhere.pk).update(state="paused")
    waiting = delivered(approve(build_report(by=kazakhstan, reference="KZ-1")), names_everywhere)
    assert waiting.state == DeliveryState.PENDING and waiting.feed_seq is not None

    agreement_revoke(actor=olga, agreement=agreement)
    PartnerSystem.objects.filter(pk=names_everywhere.pk).update(state="active")
    names_everywhere.refresh_from_db()

    assert delivery_send_one(delivery_id=waiting.pk) == DeliveryState.NEEDS_ATTENTION
    waiting.refresh_from_db()
    assert waiting.reason.startswith("no longer allowed: region rilo-cis is not Names everywhere's")
    assert waiting.attempt_log.get().outcome == AttemptOutcome.REFUSED
    pulled = feed_message(
        partner=names_everywhere,
        delivery=waiting,
        receivable=partner_receivable_regions(partner=names_everywhere),
        current=partner_current_policy(partner=names_everywhere),
    )
    assert pulled.message is None and pulled.withheld.startswith("region rilo-cis")
    later = delivered(approve(build_report(by=kazakhstan, reference="KZ-2")), names_everywhere)
    assert later.state == DeliveryState.SKIPPED_BY_POLICY
    requests, _ = receiver.snapshot()
    assert requests == []
    agreement.refresh_from_db()
    assert agreement.status == "revoked" and agreement.revoked_by == olga


def _moved(partner: PartnerSystem, receiver: WebhookPartner, grace: User) -> None:
    """Grace re-points the partner at another host (the same receiver, reached by another name)."""
    new_url = receiver.url.replace("127.0.0.1", "localhost")
    assert new_url != receiver.url
    partner_update(actor=grace, partner=partner, endpoint_url=new_url, credentials={})


def test_an_agreement_must_be_approved_again_after_the_partner_moves_to_another_host(
    names_everywhere: PartnerSystem,
    grace: User,
    olga: User,
    region_cis: Region,
    kazakhstan: Administration,
    receiver: WebhookPartner,
) -> None:
    agreement = agreement_approve(
        actor=olga,
        agreement=agreement_request(actor=grace, partner=names_everywhere, region=region_cis, personal_data=True),
    )

    _moved(names_everywhere, receiver, grace)

    agreement.refresh_from_db()
    assert agreement.status == "revoked" and agreement.revoked_by == grace
    again = CrossRegionAgreement.objects.get(partner=names_everywhere, region=region_cis, revoked_at__isnull=True)
    assert again.status == "requested" and again.personal_data and again.decided_by is None
    asked = delivered(approve(build_report(by=kazakhstan, reference="KZ-1")), names_everywhere)
    assert asked.state == DeliveryState.SKIPPED_BY_POLICY

    agreement_approve(actor=olga, agreement=again)
    through = delivered(approve(build_report(by=kazakhstan, reference="KZ-2")), names_everywhere)
    assert through.state != DeliveryState.SKIPPED_BY_POLICY  # approved again: its reports pass once more


def test_the_other_regions_auditors_see_the_partners_move(
    names_everywhere: PartnerSystem,
    grace: User,
    olga: User,
    region_cis: Region,
    region_we: Region,
    receiver: WebhookPartner,
) -> None:
    agreement_approve(actor=olga, agreement=agreement_request(actor=grace, partner=names_everywhere, region=region_cis))

    _moved(names_everywhere, receiver, grace)

    seen_by_cis = [
        e for e in AuditEvent.objects.filter(region=region_cis) if "localhost" in e.detail.get("new_host", "")
    ]
    assert {event.action for event in seen_by_cis} == {
        "exchange.agreement_revoke",
        "exchange.agreement_request",
    }
    assert AuditEvent.objects.filter(region=region_we, action="exchange.partner_endpoint_host_change").exists()


def test_the_feed_renders_an_old_message_under_the_partners_current_policy(
    names_everywhere: PartnerSystem, france: Administration
) -> None:
    PartnerSystem.objects.filter(pk=names_everywhere.pk).update(state="paused")
    waiting = delivered(approve(build_report(by=france, reference="FR-1")), names_everywhere)
    assert waiting.feed_seq is not None
    policy_version(
        partner=names_everywhere,
        personal_data=False,
        regions=["*"],
        administrations=["*"],
        commodity_categories=["*"],
        report_kinds=["*"],
        fields=["report.kind"],
    )

    pulled = feed_message(
        partner=names_everywhere,
        delivery=Delivery.objects.select_related("event", "policy").get(pk=waiting.pk),
        receivable=partner_receivable_regions(partner=names_everywhere),
        current=partner_current_policy(partner=names_everywhere),
    )

    assert pulled.message is not None and "Martin" not in str(pulled.message)


def test_a_retry_after_a_policy_change_sends_only_what_the_current_policy_allows(
    names_everywhere: PartnerSystem, france: Administration, receiver: WebhookPartner
) -> None:
    receiver.script(Step(status=503))
    failed = delivered(approve(build_report(by=france, reference="FR-1")), names_everywhere)
    assert failed.state == DeliveryState.RETRY
    assert "Martin" in str(receiver.snapshot()[0][0].body)  # what version 1 allowed
    policy_version(
        partner=names_everywhere,
        personal_data=False,
        regions=["*"],
        administrations=["*"],
        commodity_categories=["*"],
        report_kinds=["*"],
        fields=["report.kind"],
    )

    Delivery.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    assert delivery_send_one(delivery_id=failed.pk) == DeliveryState.SUCCEEDED

    requests, _ = receiver.snapshot()
    assert len(requests) == 2 and "Martin" not in str(requests[1].body)
