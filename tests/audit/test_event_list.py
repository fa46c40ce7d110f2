"""Auditors browse their region's audit log; nobody else reads it."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from tests.helpers import sign_in

URL = reverse("audit:event_list")


@pytest.fixture
def events(alice, dmitri, france, kazakhstan):
    report_uuid = uuid.uuid4()
    ours = AuditEvent.objects.create(
        actor=alice,
        action="party.read",
        object_type="reports.report",
        object_uuid=report_uuid,
        administration=france,
        region=france.region,
    )
    theirs = AuditEvent.objects.create(
        actor=dmitri,
        action="report.submit",
        object_type="reports.report",
        object_uuid=uuid.uuid4(),
        administration=kazakhstan,
        region=kazakhstan.region,
    )
    return ours, theirs


def test_an_auditor_sees_who_read_personal_data_in_her_region_only(client, hugo, events):
    ours, theirs = events
    sign_in(client, hugo)
    page = client.get(URL).content.decode()
    assert str(ours.object_uuid) in page and "<code>party.read</code>" in page
    assert str(theirs.object_uuid) not in page


def test_the_log_filters_by_action_and_object(client, hugo, events):
    ours, _ = events
    sign_in(client, hugo)
    assert "<code>party.read</code>" not in client.get(URL, {"action": "report."}).content.decode()
    page = client.get(URL, {"object_uuid": str(ours.object_uuid)}).content.decode()
    assert "1 event." in page


def test_a_bad_filter_is_reported_beside_its_field(client, hugo, events):
    sign_in(client, hugo)
    response = client.get(URL, {"since": "2025-05-02", "until": "2025-05-01"})
    assert response.status_code == 200
    assert "Give a date after the start date." in response.content.decode()


@pytest.mark.parametrize("persona", ["alice", "cora", "erin", "grace", "ivan"])
def test_other_roles_may_not_read_the_log(client, persona, request, events):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_the_menu_offers_the_log_to_auditors(client, hugo):
    sign_in(client, hugo)
    assert URL in client.get("/").content.decode()
