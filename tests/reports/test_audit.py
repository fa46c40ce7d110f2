"""The audit log: transitions and reads of personal data are recorded, without personal values."""

from __future__ import annotations

import json

import pytest

from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_event_list
from apps.audit.services import audit_record
from apps.core.middleware import _request_id
from apps.reports.selectors import attachments_for, parties_for, report_get
from apps.reports.services import report_approve, report_return


def test_every_transition_is_audited_in_the_reports_region(submitted, erin, region_we):
    report_approve(report=submitted, actor=erin)
    actions = list(
        AuditEvent.objects.filter(object_uuid=submitted.uuid).order_by("at", "pk").values_list("action", flat=True)
    )
    assert actions == ["report.create", "report.submit", "report.approve"]
    event = AuditEvent.objects.get(action="report.approve")
    assert (event.actor, event.region, event.administration) == (erin, region_we, submitted.administration)
    assert event.detail == {"from": "submitted", "to": "approved", "version": 1, "free_text_checked": False}


def test_reads_of_parties_are_recorded_without_personal_values(submitted, erin):
    parties = parties_for(user=erin, report=submitted)
    event = AuditEvent.objects.get(action="report.parties_read")
    assert event.actor == erin
    assert event.detail == {"parties": [parties[0].pk]}
    assert "Dupont" not in json.dumps(event.detail)


def test_a_refused_read_records_nothing(submitted, grace):
    assert parties_for(user=grace, report=submitted) == []
    assert attachments_for(user=grace, report=submitted) == []
    assert not AuditEvent.objects.filter(action__endswith="_read").exists()


def test_reading_personal_free_text_on_request_is_recorded(submitted, alice):
    report_get(user=alice, pk=submitted.pk)
    assert not AuditEvent.objects.filter(action="report.personal_read").exists()
    report_get(user=alice, pk=submitted.pk, with_personal_data=True)
    assert AuditEvent.objects.filter(action="report.personal_read", actor=alice).count() == 1


def test_comments_stay_out_of_the_audit_detail(submitted, erin):
    report_return(report=submitted, actor=erin, comment="Ask Jean Dupont's lawyer")
    assert "Dupont" not in json.dumps(AuditEvent.objects.get(action="report.return").detail)


def test_auditors_see_their_regions_events_only(submitted, dmitri, hugo, erin, alice):
    from apps.reports.services import report_create_draft
    from tests.builders import complete_fields

    report_create_draft(actor=dmitri, fields=complete_fields(national_reference="KZ-1", country_of_seizure="KZ"))
    seen = {e.administration.code for e in audit_event_list(user=hugo) if e.administration}
    assert seen == {"fr"}
    assert not audit_event_list(user=erin).exists()  # analysts do not read the audit log
    assert not audit_event_list(user=alice).exists()
    assert {e.action for e in audit_event_list(user=hugo, filters={"action": "report.sub"})} == {"report.submit"}


def test_the_request_id_is_recorded(alice):
    token = _request_id.set("req-12345678")
    try:
        event = audit_record(actor=alice, action="test.action", obj=alice.administration)
    finally:
        _request_id.reset(token)
    assert event.request_id == "req-12345678"
    assert event.region_id == alice.administration.region_id


def test_detail_must_hold_plain_values(alice):
    with pytest.raises(TypeError):
        audit_record(actor=alice, action="test.action", detail={"who": alice})
