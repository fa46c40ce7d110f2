"""The review workflow through the API: the services' transitions, 409 when the state forbids one."""

from __future__ import annotations

import uuid

import pytest

from apps.reports.choices import ReportStatus
from apps.reports.models import Report, ReviewEvent
from tests.builders import build_report, complete_report
from tests.helpers import bearer

URL = "/api/v1/reports/"


@pytest.fixture
def review(api, issue_token):
    """``review(user, report, "approve", body)``: a POST with a read+review token of ``user``."""

    def post(user, report: Report, transition: str, body: dict | None = None):
        auth = bearer(issue_token(user, "read", "review"))
        return api.post(f"{URL}{report.uuid}/{transition}/", body or {}, format="json", **auth)

    return post


def test_an_analyst_returns_a_report_saying_what_to_fix(review, world, erin):
    report = world["fr_submitted"]
    refused = review(erin, report, "return", {"comment": "  "})
    assert refused.status_code == 400 and list(refused.json()["details"]) == ["comment"]
    response = review(erin, report, "return", {"comment": "Weigh the bricks again"})
    assert response.status_code == 200 and response.json()["status"] == "returned"
    event = ReviewEvent.objects.filter(report=report).latest("at")
    assert (event.transition, event.actor, event.comment) == ("return", erin, "Weigh the bricks again")


def test_an_analyst_approves_a_submitted_report_once(review, world, erin, grace):
    report = world["fr_submitted"]
    response = review(erin, report, "approve", {"comment": "Fine"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["approved_at"] is not None) == ("approved", True)
    again = review(erin, report, "approve")
    assert again.status_code == 409
    assert again.json() == {
        "type": "conflict",
        "message": "Report ISO-FR-SUBMITTED is “Approved”: only a submitted report can be approved.",
        "details": {"status": "approved"},
    }
    report.refresh_from_db()
    assert (report.status, report.approved_by) == ("approved", erin)


def test_a_rilo_administrator_who_may_not_review_is_refused(review, world, grace):
    response = review(grace, world["fr_submitted"], "approve")
    assert response.status_code == 403
    assert Report.objects.get(pk=world["fr_submitted"].pk).status == "submitted"


def test_an_illegal_transition_is_a_conflict_and_changes_nothing(review, world, erin):
    report = world["fr_submitted"]
    response = review(erin, report, "withdraw", {"reason": "Entered twice"})
    assert response.status_code == 409 and response.json()["type"] == "conflict"
    report.refresh_from_db()
    assert report.status == "submitted"
    assert not ReviewEvent.objects.filter(report=report, transition="withdraw").exists()


def test_an_approved_report_is_corrected_into_a_new_version(review, world, erin):
    report = world["fr_approved"]
    assert review(erin, report, "correct", {"place": "Rouen"}).status_code == 400  # no reason
    response = review(erin, report, "correct", {"reason": "Wrong port", "place": "Rouen", "items": []})
    assert response.status_code == 400 and "items" in response.json()["details"]  # a seizure needs an item
    response = review(erin, report, "correct", {"reason": "Wrong port", "place": "Rouen"})
    assert response.status_code == 200, response.json()
    assert (response.json()["version"], response.json()["place"], response.json()["status"]) == (2, "Rouen", "approved")


def test_an_approved_report_is_withdrawn_with_a_reason(review, world, erin):
    report = world["fr_approved"]
    assert review(erin, report, "withdraw", {}).status_code == 400
    response = review(erin, report, "withdraw", {"reason": "Entered in error"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


def test_a_report_is_marked_a_duplicate_of_one_the_analyst_can_see(review, world, erin, alice):
    twin = build_report(
        by=alice, reference="ISO-FR-TWIN", status=ReportStatus.SUBMITTED, through_services=True, **complete_report()
    )
    unknown = review(erin, twin, "mark-duplicate", {"of": str(uuid.uuid4())})
    assert unknown.status_code == 400 and list(unknown.json()["details"]) == ["of"]
    hidden = review(erin, twin, "mark-duplicate", {"of": str(world["kz_submitted"].uuid)})
    assert hidden.status_code == 400  # another region's report: as unknown
    itself = review(erin, twin, "mark-duplicate", {"of": str(twin.uuid)})
    assert itself.status_code == 409
    response = review(erin, twin, "mark-duplicate", {"of": str(world["fr_submitted"].uuid)})
    assert response.status_code == 200 and response.json()["duplicate_of"] == str(world["fr_submitted"].uuid)


def test_a_transition_is_replayed_with_its_idempotency_key(api, world, erin, issue_token):
    auth = {**bearer(issue_token(erin, "read", "review")), "HTTP_IDEMPOTENCY_KEY": "approve-1"}
    path = f"{URL}{world['fr_submitted'].uuid}/approve/"
    first = api.post(path, {}, format="json", **auth)
    retry = api.post(path, {}, format="json", **auth)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry["Idempotent-Replayed"] == "true"
    assert ReviewEvent.objects.filter(report=world["fr_submitted"], transition="approve").count() == 1


def test_an_analyst_may_say_the_free_text_was_checked_when_approving(review, world, erin):
    unchecked, checked = world["fr_submitted"], world["de_submitted"]
    assert review(erin, unchecked, "approve", {}).status_code == 200
    response = review(erin, checked, "approve", {"comment": "Read it", "free_text_checked": True})
    assert response.status_code == 200, response.json()
    assert ReviewEvent.objects.get(report=unchecked, transition="approve").free_text_checked is False
    assert ReviewEvent.objects.get(report=checked, transition="approve").free_text_checked is True
    refused = review(erin, world["fr_approved"], "correct", {"reason": "x", "free_text_checked": "perhaps"})
    assert refused.status_code == 400 and list(refused.json()["details"]) == ["free_text_checked"]
