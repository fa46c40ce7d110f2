"""Free text is personal until a reviewer says otherwise: the catalogue, and the approving analyst's check."""

from __future__ import annotations

import re

import pytest

from apps.audit.models import AuditEvent
from apps.core.personal import is_personal, reviewable_free_text
from apps.reports.models import Conveyance, Report, ReportItem, ReviewEvent, RouteCountry
from apps.reports.services import report_approve, report_correct
from tests.helpers import sign_in


def test_free_text_is_personal_in_the_catalogue():
    for model, field in (
        (Report, "place"),
        (Report, "customs_office"),
        (Report, "modus_operandi"),
        (Report, "latitude"),
        (Report, "longitude"),
        (ReportItem, "description"),
        (ReportItem, "brand"),
        (ReportItem, "attributes"),
        (ReportItem, "concealment_detail"),
        (RouteCountry, "place"),
        (Conveyance, "identifier"),
    ):
        assert is_personal(model, field), f"{model.__name__}.{field}"
    # Coded fields stay non-personal.
    for model, field in ((Report, "national_reference"), (RouteCountry, "unlocode"), (ReportItem, "genuineness")):
        assert not is_personal(model, field), f"{model.__name__}.{field}"
    # What a reviewer's check can clear, and what it never clears.
    assert reviewable_free_text(Report) == {"place", "customs_office"}
    assert reviewable_free_text(ReportItem) == {"description", "brand", "attributes"}
    assert reviewable_free_text(RouteCountry) == {"place"}
    assert reviewable_free_text(Conveyance) == frozenset()


@pytest.mark.django_db
def test_the_free_text_check_is_recorded_in_the_review_event_and_shown_in_the_timeline(client, erin, submitted):
    sign_in(client, erin)
    response = client.post(
        f"/reports/{submitted.uuid}/approve/", {"comment": "Fine", "free_text_checked": "on"}, follow=True
    )
    assert response.status_code == 200
    event = ReviewEvent.objects.get(report=submitted, transition="approve")
    assert (event.free_text_checked, event.actor, event.version) == (True, erin, 1)
    audit = AuditEvent.objects.get(action="report.approve", object_uuid=submitted.uuid)
    assert audit.detail["free_text_checked"] is True
    page = client.get(f"/reports/{submitted.uuid}/").content.decode()
    assert f"Free text checked by {erin.get_full_name() or erin.username}: no personal data" in page


@pytest.mark.django_db
def test_an_approval_without_the_tick_records_free_text_as_unchecked(client, erin, submitted):
    sign_in(client, erin)
    client.post(f"/reports/{submitted.uuid}/approve/", {"comment": ""})
    assert ReviewEvent.objects.get(report=submitted, transition="approve").free_text_checked is False
    page = client.get(f"/reports/{submitted.uuid}/").content.decode()
    assert "Free text checked by" not in page
    assert "Free text checked: no personal data" not in page  # the approve form is gone with the approval


@pytest.mark.django_db
def test_the_approve_form_offers_the_free_text_check(client, erin, submitted):
    sign_in(client, erin)
    page = client.get(f"/reports/{submitted.uuid}/").content.decode()
    assert 'name="free_text_checked"' in page and "Free text checked: no personal data" in page


@pytest.mark.django_db
def test_a_correction_asks_for_the_free_text_check_again(erin, submitted):
    report_approve(report=submitted, actor=erin, free_text_checked=True)
    report_correct(report=submitted, actor=erin, reason="Wrong quay", fields={"place": "Le Havre, quay 5"})
    unchecked = ReviewEvent.objects.get(report=submitted, transition="correct", version=2)
    assert unchecked.free_text_checked is False
    report_correct(
        report=submitted, actor=erin, reason="Wrong quay again", fields={"place": "Le Havre"}, free_text_checked=True
    )
    assert ReviewEvent.objects.get(report=submitted, transition="correct", version=3).free_text_checked is True


@pytest.mark.django_db
def test_the_correction_form_asks_for_the_free_text_check_again(client, erin, submitted):
    report_approve(report=submitted, actor=erin, free_text_checked=True)
    sign_in(client, erin)
    page = client.get(f"/reports/{submitted.uuid}/correct/").content.decode()
    assert "Free text checked: no personal data" in page
    checkbox = re.search(r'<input[^>]*name="free_text_checked"[^>]*>', page)
    assert checkbox is not None
    assert not re.search(r"\schecked\b", checkbox.group(0))  # not ticked in advance: this version is new
