"""The demo partner: Demo CEN, registered by the demo seeding, receives an approved report and shows it on its page."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
import requests
from django.core.management import call_command

from apps.accounts.models import User
from apps.exchange.choices import DeliveryState
from apps.exchange.models import Delivery, OutboxEvent, PartnerSystem
from apps.exchange.selectors import partner_current_policy
from apps.exchange.services import delivery_send_one, event_fan_out
from apps.exchange.snapshot import field_catalogue
from apps.reports.services import report_approve
from apps.tenancy.models import Administration
from bench.partners import Received
from demo.accounts import seed_demo_accounts
from demo.partner import DEMO_PARTNER_NAME, DemoPartner, demo_partner_secrets, render_page, seed_demo_partner
from tests.builders import build_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver() -> Iterator[DemoPartner]:
    partner = DemoPartner().start()
    yield partner
    partner.stop()


@pytest.fixture
def demo_cen(receiver: DemoPartner) -> PartnerSystem:
    """The demo's accounts and Demo CEN at the receiver's address, as ``make demo`` seeds them."""
    seed_demo_accounts()
    partner = seed_demo_partner(endpoint_url=receiver.url)
    receiver.secret = demo_partner_secrets()[0]
    return partner


def test_the_demo_seeding_registers_demo_cen_with_a_policy_without_personal_data(demo_cen: PartnerSystem) -> None:
    policy = partner_current_policy(partner=demo_cen)
    assert demo_cen.region.code == "rilo-we"
    assert policy is not None and not policy.personal_data and not demo_cen.personal_data_allowed
    catalogue = field_catalogue()
    assert policy.fields and not any(catalogue[path].personal for path in policy.fields)


def test_seeding_again_keeps_one_partner_and_one_policy_and_follows_a_new_endpoint(
    demo_cen: PartnerSystem, receiver: DemoPartner
) -> None:
    moved = receiver.url.replace("/hooks/rilo", "/hooks/moved")
    call_command("seed_demo", "--quiet-accounts", "--partner-url", moved, stdout=StringIO())
    call_command("seed_demo", "--quiet-accounts", "--partner-url", moved, stdout=StringIO())
    partner = PartnerSystem.objects.get(name=DEMO_PARTNER_NAME)
    assert partner.pk == demo_cen.pk and partner.endpoint_url == moved
    assert partner.policies.count() == 1


def test_an_approved_report_arrives_at_demo_cen_and_is_shown_on_its_page(
    demo_cen: PartnerSystem, receiver: DemoPartner
) -> None:
    france = Administration.objects.get(country="FR")
    report = build_report(by=france, reference="DEMO-CEN-1")
    analyst = User.objects.get(username="we.analyst")
    report_approve(report=report, actor=analyst, free_text_checked=True)

    event = OutboxEvent.objects.filter(report_uuid=report.uuid).latest("pk")
    event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.get(event=event, partner=demo_cen)
    assert delivery_send_one(delivery_id=delivery.pk) == DeliveryState.SUCCEEDED

    page = requests.get(receiver.page_url, timeout=10)
    assert page.status_code == 200
    assert str(report.uuid) in page.text
    assert "report.approved" in page.text
    assert "<script" not in page.text and "style=" not in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_the_page_says_when_nothing_arrived_yet(receiver: DemoPartner) -> None:
    page = requests.get(receiver.page_url, timeout=10)
    assert "Nothing received yet" in page.text
    assert requests.get(receiver.page_url + "other", timeout=10).status_code == 404


def test_what_a_message_holds_is_shown_as_text_never_as_markup() -> None:
    body = {"type": "<script>alert(1)</script>", "data": {"report_uuid": "<b>x</b>", "place": "<i onclick=x>"}}
    page = render_page([Received("msg_1", 200, 0.0, True, body)])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x" not in page
    assert "onclick" not in page.replace("&lt;i onclick=x&gt;", "")


def test_a_message_whose_signature_fails_is_shown_as_refused() -> None:
    page = render_page([Received("msg_2", 401, 0.0, False, None)])
    assert "401 (signature not verified)" in page
