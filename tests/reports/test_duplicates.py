"""Duplicate candidates on submission, and duplicates left out of counts and forwarding."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.core.exceptions import Conflict, NotFound
from apps.reports.choices import ReportStatus
from apps.reports.duplicates import BY_CONVEYANCE, BY_ITEMS, store_duplicate_candidates
from apps.reports.models import DuplicateCandidate, Report
from apps.reports.selectors import (
    duplicate_candidate_counts,
    duplicate_candidates_for,
    report_list,
    report_statistics,
)
from apps.reports.services import (
    report_approve,
    report_mark_duplicate,
    report_send_for_review,
    report_share_with_administration,
)
from tests.builders import ConveyanceFactory, ReportFactory, ReportItemFactory


@pytest.fixture
def earlier(germany, draft):
    """A German report of the same seizure, submitted earlier (the same containers reached Le Havre via Hamburg)."""
    report = ReportFactory.create(
        administration=germany,
        status=ReportStatus.APPROVED,
        country_of_seizure="FR",
        seizure_date=draft.seizure_date - dt.timedelta(days=1),
    )
    ReportItemFactory.create(report=report, quantity=Decimal("115"), normalised_quantity=Decimal("115"))
    return report


def candidate_ids(report: Report) -> set[int]:
    return set(DuplicateCandidate.objects.filter(report=report).values_list("candidate_id", flat=True))


def test_a_report_of_the_same_seizure_is_flagged_on_submission(earlier, draft, alice, erin):
    report_send_for_review(report=draft, actor=alice)
    candidate = DuplicateCandidate.objects.get(report=draft)
    assert (candidate.candidate, candidate.reasons) == (earlier, ["date_country_commodity_quantity"])
    assert [c.candidate for c in duplicate_candidates_for(user=erin, report=draft)] == [earlier]


@pytest.mark.parametrize(
    ("days_apart", "quantity", "flagged"),
    [(0, "120.5", True), (1, "109", True), (2, "120.5", False), (0, "96", False), (-1, "132", True)],
)
def test_only_close_dates_and_quantities_within_ten_percent_match(germany, draft, alice, days_apart, quantity, flagged):
    other = ReportFactory.create(
        administration=germany,
        status=ReportStatus.SUBMITTED,
        country_of_seizure="FR",
        seizure_date=draft.seizure_date + dt.timedelta(days=days_apart),
    )
    ReportItemFactory.create(report=other, quantity=Decimal(quantity), normalised_quantity=Decimal(quantity))
    report_send_for_review(report=draft, actor=alice)
    assert (other.pk in candidate_ids(draft)) is flagged


def test_another_country_of_seizure_does_not_match(germany, draft, alice):
    other = ReportFactory.create(
        administration=germany, status=ReportStatus.SUBMITTED, country_of_seizure="DE", seizure_date=draft.seizure_date
    )
    ReportItemFactory.create(report=other, quantity=Decimal("120.5"), normalised_quantity=Decimal("120.5"))
    report_send_for_review(report=draft, actor=alice)
    assert candidate_ids(draft) == set()


def test_the_same_conveyance_identifier_matches_whatever_the_date(germany, draft, alice):
    other = ReportFactory.create(administration=germany, status=ReportStatus.APPROVED, seizure_date=dt.date(2020, 1, 1))
    ConveyanceFactory.create(report=other, identifier="MSCU1234565")  # the draft typed "mscu 123456-5"
    ConveyanceFactory.create(
        report=ReportFactory.create(administration=germany, status="draft"), identifier="MSCU1234565"
    )
    report_send_for_review(report=draft, actor=alice)
    assert candidate_ids(draft) == {other.pk}
    assert DuplicateCandidate.objects.get(report=draft).reasons == ["conveyance_identifier"]


def test_candidates_of_another_region_are_hidden_from_the_reviewer(kazakhstan, draft, alice, erin):
    other = ReportFactory.create(
        administration=kazakhstan, status=ReportStatus.APPROVED, seizure_date=dt.date(2020, 1, 1)
    )
    ConveyanceFactory.create(report=other, identifier="MSCU1234565")
    report_send_for_review(report=draft, actor=alice)
    assert candidate_ids(draft) == {other.pk}
    assert duplicate_candidates_for(user=erin, report=draft) == []


def test_the_submission_audit_counts_only_candidates_the_submitter_may_see(kazakhstan, draft, alice):
    other = ReportFactory.create(
        administration=kazakhstan, status=ReportStatus.APPROVED, seizure_date=dt.date(2020, 1, 1)
    )
    ConveyanceFactory.create(report=other, identifier="MSCU1234565")
    mine = ReportFactory.create(
        administration=draft.administration, status=ReportStatus.APPROVED, seizure_date=dt.date(2021, 1, 1)
    )
    ConveyanceFactory.create(report=mine, identifier="MSCU1234565")
    report_send_for_review(report=draft, actor=alice)
    assert candidate_ids(draft) == {other.pk, mine.pk}
    submitted = AuditEvent.objects.get(action="report.submit", object_uuid=draft.uuid)
    assert submitted.detail["duplicate_candidates"] == 1


@pytest.mark.parametrize("with_personal_data", [False, True])
def test_a_candidate_found_by_a_conveyance_alone_is_told_only_to_who_may_see_the_personal_data_of_both(
    germany, france, draft, alice, erin, with_personal_data
):
    """A German report shared with France, with or without its personal data, names the container the French
    officer's draft names: without it she may not learn that the two containers are the same, from the count in
    her submission's trail, the German report's candidates or their count in a list."""
    german = ReportFactory.create(
        administration=germany, status=ReportStatus.APPROVED, seizure_date=dt.date(2020, 1, 1)
    )
    ConveyanceFactory.create(report=german, identifier="MSCU1234565")
    report_share_with_administration(
        report=german, administration=france, actor=erin, include_personal_data=with_personal_data
    )
    report_send_for_review(report=draft, actor=alice)
    assert DuplicateCandidate.objects.get(report=draft).reasons == [BY_CONVEYANCE]
    submitted = AuditEvent.objects.get(action="report.submit", object_uuid=draft.uuid)
    assert submitted.detail["duplicate_candidates"] == (1 if with_personal_data else 0)

    # The German report's candidates looked for again, now her report is submitted: hers, by the container.
    (candidate,) = store_duplicate_candidates(german)
    assert (candidate.candidate, candidate.reasons) == (draft, [BY_CONVEYANCE])
    told = [c.candidate for c in duplicate_candidates_for(user=alice, report=german)]
    assert told == ([draft] if with_personal_data else [])
    counts = duplicate_candidate_counts(user=alice, report_ids=[german.pk])
    assert counts == ({german.pk: 1} if with_personal_data else {})
    reads = AuditEvent.objects.filter(actor=alice, action="report.personal_read").order_by("pk")
    assert [(event.object_uuid, event.detail) for event in reads] == (
        [
            (german.uuid, {"fields": ["identifier"], "duplicate_candidates": [str(draft.uuid)]}),
            (draft.uuid, {"fields": ["identifier"], "duplicate_candidate_of": str(german.uuid)}),
        ]
        if with_personal_data
        else []
    )

    # Found by its items as well: told to whoever may see both reports, no personal data read.
    candidate.reasons = [BY_ITEMS, BY_CONVEYANCE]
    candidate.save()
    assert [c.candidate for c in duplicate_candidates_for(user=alice, report=german)] == [draft]
    assert duplicate_candidate_counts(user=alice, report_ids=[german.pk]) == {german.pk: 1}
    assert reads.count() == (2 if with_personal_data else 0)


def test_a_duplicate_is_never_counted_nor_forwarded(earlier, draft, alice, erin):
    report_send_for_review(report=draft, actor=alice)
    report_approve(report=draft, actor=erin)
    assert report_statistics(user=erin)[0]["reports"] == 2
    report_mark_duplicate(report=draft, of=earlier, actor=erin)
    draft.refresh_from_db()
    assert draft.duplicate_of == earlier
    assert set(Report.objects.forwardable()) == {earlier}
    assert set(Report.objects.counted()) == {earlier}
    stats = report_statistics(user=erin)
    assert (stats[0]["reports"], stats[0]["quantity"]) == (1, Decimal("115"))
    assert list(report_list(user=erin, filters={"duplicates": "only"})) == [draft]


def test_a_duplicate_of_a_duplicate_points_at_the_original(earlier, draft, alice, erin, france):
    report_send_for_review(report=draft, actor=alice)
    report_mark_duplicate(report=draft, of=earlier, actor=erin)
    third = ReportFactory.create(administration=france, status=ReportStatus.SUBMITTED)
    report_mark_duplicate(report=third, of=draft, actor=erin)
    third.refresh_from_db()
    assert third.duplicate_of == earlier
    with pytest.raises(Conflict, match="already marked"):
        report_mark_duplicate(report=third, of=earlier, actor=erin)


def test_marking_needs_the_original_to_be_visible_and_is_for_reviewers(draft, alice, erin, kazakhstan):
    report_send_for_review(report=draft, actor=alice)
    hidden = ReportFactory.create(administration=kazakhstan, status=ReportStatus.APPROVED)
    with pytest.raises(NotFound):
        report_mark_duplicate(report=draft, of=hidden, actor=erin)
    from apps.core.exceptions import PermissionDenied

    other = ReportFactory.create(administration=draft.administration, status=ReportStatus.APPROVED)
    with pytest.raises(PermissionDenied):
        report_mark_duplicate(report=draft, of=other, actor=alice)
