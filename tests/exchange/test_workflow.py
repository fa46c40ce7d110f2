"""The reports workflow writes the outbox: approve, correct, withdraw (and mark an approved report duplicate)."""

from __future__ import annotations

import pytest
from django.apps import apps

from apps.accounts.models import User
from apps.core.exceptions import Conflict
from apps.core.personal import field_names, non_personal_fields, personal_fields
from apps.exchange.adapters import adapter_for
from apps.exchange.choices import DeliveryMode, DeliveryState
from apps.exchange.models import Delivery, OutboxEvent
from apps.exchange.services import event_fan_out
from apps.reports.services import (
    report_approve,
    report_correct,
    report_create_draft,
    report_mark_duplicate,
    report_send_for_review,
    report_withdraw,
)
from apps.tenancy.models import Administration
from tests.builders import ROUTE, approve, build_report, complete_fields, item_row, webhook_partner

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hooks"


def test_every_field_of_every_exchange_model_is_tagged_personal_or_not() -> None:
    for model in apps.get_app_config("exchange").get_models():
        names = field_names(model)
        personal, non_personal = personal_fields(model), non_personal_fields(model)
        assert not personal & non_personal, f"{model.__name__}: tagged both ways"
        assert names - personal - non_personal == set(), f"{model.__name__}: untagged fields"
        assert (personal | non_personal) - names == set(), f"{model.__name__}: tags name no field"


def test_approving_correcting_and_withdrawing_write_one_outbox_event_each(alice: User, erin: User) -> None:
    draft = report_create_draft(
        actor=alice, fields=complete_fields(), items=[item_row()], route=ROUTE, conveyances=[], parties=[]
    )
    report = report_send_for_review(report=draft, actor=alice)
    assert not OutboxEvent.objects.exists()

    report_approve(report=report, actor=erin)
    report_correct(report=report, actor=erin, reason="Weight recounted", items=[item_row(quantity="98.0")])
    report_withdraw(report=report, actor=erin, reason="Entered twice")

    events = list(OutboxEvent.objects.filter(report_uuid=report.uuid).values_list("type", "report_version"))
    assert events == [("approved", 1), ("corrected", 2), ("withdrawn", 2)]
    corrected = OutboxEvent.objects.get(type="corrected")
    assert corrected.snapshot["items"][0]["quantity"] == "98.000"
    assert corrected.snapshot["report"]["detection_methods"] == ["xray"]


def test_a_refused_approval_writes_no_outbox_event(france: Administration, erin: User) -> None:
    report = build_report(by=france, reference="FR-1")
    report_approve(report=report, actor=erin)
    with pytest.raises(Conflict):
        report_approve(report=report, actor=erin)
    assert OutboxEvent.objects.filter(report_uuid=report.uuid).count() == 1


def test_marking_an_approved_report_duplicate_retracts_it_from_partners(france: Administration, erin: User) -> None:
    partner, _, policy = webhook_partner("CEN", URL)
    original = build_report(by=france, reference="FR-1")
    copy = build_report(by=france, reference="FR-2")
    approved = approve(copy)
    event_fan_out(event_id=approved.pk)
    Delivery.objects.filter(event=approved).update(state=DeliveryState.SUCCEEDED)

    report_mark_duplicate(report=copy, of=original, actor=erin)
    retraction = OutboxEvent.objects.filter(report_uuid=copy.uuid).latest("pk")
    assert retraction.type == "withdrawn"
    event_fan_out(event_id=retraction.pk)
    delivery = Delivery.objects.get(event=retraction)
    assert delivery.mode == DeliveryMode.TOMBSTONE
    body = adapter_for(partner).render(retraction.snapshot, policy, mode=delivery.mode, personal_allowed=False)
    assert b'"reason":"duplicate"' in body
    assert f'"duplicate_of":"{original.uuid}"'.encode() in body
