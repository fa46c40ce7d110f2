"""Object grants on reports end when their purpose does: an assigned reviewer's rights with the review, a share at
its expiry (in SQL, for lists and single reports alike), and the purge task removes expired shares only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.exceptions import NotFound
from apps.reports.choices import ReportStatus
from apps.reports.grants import report_share_purge_expired
from apps.reports.models import Report, ReportGroupObjectPermission, ReportUserObjectPermission
from apps.reports.selectors import report_get, report_list, report_shares
from apps.reports.services import (
    report_approve,
    report_assign_reviewer,
    report_mark_duplicate,
    report_return,
    report_share_with_administration,
    report_withdraw,
)
from apps.reports.tasks import purge_expired_shares
from tests.builders import ReportFactory


@pytest.fixture
def german(germany) -> Report:
    return ReportFactory.create(administration=germany, status=ReportStatus.SUBMITTED, national_reference="DE-GRANT")


def _expire(report: Report, administration, *, ago: dt.timedelta = dt.timedelta(minutes=1)) -> None:
    """Move a share's end into the past (the service refuses a past end; time passing does this in real life)."""
    ReportGroupObjectPermission.objects.filter(
        content_object=report, group__name=f"administration:{administration.pk}"
    ).update(expires_at=timezone.now() - ago)


# --- assigned reviewers ------------------------------------------------------------------------------------


def test_an_assigned_reviewer_loses_access_when_the_report_is_approved(german, erin, farid):
    report_assign_reviewer(report=german, reviewer=farid, actor=erin)
    assert Report.objects.restrict(farid, "view").filter(pk=german.pk).exists()

    report_approve(report=german, actor=farid)

    assert not ReportUserObjectPermission.objects.filter(content_object=german).exists()
    assert not Report.objects.restrict(farid, "view").filter(pk=german.pk).exists()
    assert not Report.objects.allows(farid, "view_personal_data", german.pk)
    with pytest.raises(NotFound):
        report_get(user=farid, uuid=german.uuid)
    ended = AuditEvent.objects.get(action="report.assignment_end", object_uuid=german.uuid)
    assert (ended.actor, ended.detail) == (farid, {"reviewers": [farid.pk], "status": "approved"})
    assert ended.region_id == german.administration.region_id  # the report's region's auditors see it


def test_an_assigned_reviewer_loses_access_when_the_report_is_returned(german, erin, farid):
    report_assign_reviewer(report=german, reviewer=farid, actor=erin)

    report_return(report=german, actor=erin, comment="Quantities are missing.")

    assert not Report.objects.restrict(farid, "view").filter(pk=german.pk).exists()
    assert not ReportUserObjectPermission.objects.filter(user=farid).exists()
    assert AuditEvent.objects.get(action="report.assignment_end").detail == {
        "reviewers": [farid.pk],
        "status": "returned",
    }


def test_a_submitted_report_marked_a_duplicate_stays_in_review_with_its_assigned_reviewer(german, erin, farid):
    # Marking a duplicate does not end the review (the report stays submitted, in the queue, to be approved or
    # returned), so the reviewer's rights last until that transition, which ends them.
    original = ReportFactory.create(
        administration=german.administration, status=ReportStatus.SUBMITTED, national_reference="DE-ORIGINAL"
    )
    report_assign_reviewer(report=german, reviewer=farid, actor=erin)

    report_mark_duplicate(report=german, of=original, actor=erin)

    german.refresh_from_db()
    assert (german.status, german.duplicate_of_id) == (ReportStatus.SUBMITTED, original.pk)
    assert Report.objects.restrict(farid, "review").filter(pk=german.pk).exists()
    report_return(report=german, actor=farid, comment="Entered twice: see DE-ORIGINAL.")
    assert not Report.objects.restrict(farid, "view").filter(pk=german.pk).exists()


def test_a_reviewer_assigned_before_a_withdrawal_keeps_nothing_afterwards(german, erin, farid):
    german.status = ReportStatus.APPROVED
    german.save()
    # A grant left over from before rights ended with the review (the migration removes those too).
    from guardian.shortcuts import assign_perm

    assign_perm("reports.view_report", farid, german)
    report_withdraw(report=german, actor=erin, reason="Entered twice.")
    assert not Report.objects.restrict(farid, "view").filter(pk=german.pk).exists()


# --- shares with an expiry ------------------------------------------------------------------------------------


def test_an_expired_share_grants_nothing(german, erin, alice, france):
    report_share_with_administration(
        report=german,
        administration=france,
        actor=erin,
        include_personal_data=True,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    assert report_list(user=alice).filter(pk=german.pk).exists()
    assert Report.objects.allows(alice, "view", german.pk)  # the rule's SQL is now kept for alice's position

    _expire(german, france)

    assert not report_list(user=alice).filter(pk=german.pk).exists()
    assert not Report.objects.allows(alice, "view", german.pk)  # the kept SQL compares with the clock itself
    assert not Report.objects.allows(alice, "view_personal_data", german.pk)
    with pytest.raises(NotFound):
        report_get(user=alice, uuid=german.uuid)
    assert report_shares(user=erin, report=german) == []


def test_a_share_ends_at_its_expiry_not_before(german, erin, alice, france):
    ends = timezone.now() + dt.timedelta(hours=2)
    report_share_with_administration(report=german, administration=france, actor=erin, expires_at=ends)
    [share] = report_shares(user=erin, report=german)
    assert share.expires_at == ends
    assert report_get(user=alice, uuid=german.uuid).pk == german.pk


def test_a_share_that_would_end_in_the_past_is_refused_and_nothing_changes(german, erin, france):
    with pytest.raises(ValidationError) as refused:
        report_share_with_administration(
            report=german, administration=france, actor=erin, expires_at=timezone.now() - dt.timedelta(minutes=5)
        )
    assert "expires_at" in refused.value.message_dict
    assert not ReportGroupObjectPermission.objects.exists()
    assert not AuditEvent.objects.filter(action="report.share").exists()


def test_sharing_again_after_an_expiry_grants_again_with_the_new_end(german, erin, alice, france):
    report_share_with_administration(
        report=german, administration=france, actor=erin, expires_at=timezone.now() + dt.timedelta(days=1)
    )
    _expire(german, france)
    assert not Report.objects.allows(alice, "view", german.pk)

    report_share_with_administration(report=german, administration=france, actor=erin)  # no end this time

    assert Report.objects.allows(alice, "view", german.pk)
    assert set(ReportGroupObjectPermission.objects.values_list("expires_at", flat=True)) == {None}
    assert AuditEvent.objects.filter(action="report.share").latest("pk").detail["expires_at"] is None


def test_the_purge_task_removes_expired_shares_only(german, erin, france, kazakhstan, region_we):
    from tests.factories import AdministrationFactory

    belgium = AdministrationFactory.create(region=region_we, country="BE", name="Belgian Customs", code="be")
    later = timezone.now() + dt.timedelta(days=3)
    report_share_with_administration(
        report=german, administration=france, actor=erin, include_personal_data=True, expires_at=later
    )
    report_share_with_administration(report=german, administration=kazakhstan, actor=erin, expires_at=later)
    report_share_with_administration(report=german, administration=belgium, actor=erin)  # no end
    _expire(german, france)
    kept = set(
        ReportGroupObjectPermission.objects.exclude(group__name=f"administration:{france.pk}").values_list(
            "pk", flat=True
        )
    )

    assert purge_expired_shares() == 2  # France's view and personal-data rows

    assert set(ReportGroupObjectPermission.objects.values_list("pk", flat=True)) == kept
    expired = AuditEvent.objects.get(action="report.share_expire")
    assert (expired.actor, expired.object_uuid, expired.detail) == (None, german.uuid, {"administration": "fr"})
    assert report_share_purge_expired() == 0  # again: nothing more to do
    assert AuditEvent.objects.filter(action="report.share_expire").count() == 1


def test_the_purge_task_is_scheduled_in_beat(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "reports.purge_expired_shares" in scheduled
