"""What a page tells a reader stays within what the reader may see: the reasons given for a correction or a
withdrawal (free text) only with personal-data rights, the review queue's duplicate-candidate count only over
reports the reader may see; and a CSV export records whose personal columns it filled."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from apps.audit.models import AuditEvent
from apps.reports.choices import ReportStatus
from apps.reports.models import DuplicateCandidate, Report
from apps.reports.selectors import duplicate_candidate_counts
from apps.reports.services import (
    report_approve,
    report_correct,
    report_send_for_review,
    report_share_with_administration,
    report_withdraw,
)
from tests.builders import build_report, entry_form_report

from .conftest import sign_in

CORRECTION = "Passport of Jean Dupont misread"
WITHDRAWAL = "Jean Dupont was cleared by the court"


@pytest.fixture
def withdrawn(alice, erin, vocab) -> Report:
    """A French report approved, corrected and withdrawn, each change with a reason naming a person."""
    report = report_send_for_review(
        report=build_report(
            by=alice, reference="FR-2025-0001", status=ReportStatus.DRAFT, through_services=True, **entry_form_report()
        ),
        actor=alice,
    )
    report = report_approve(report=report, actor=erin)
    report = report_correct(report=report, actor=erin, reason=CORRECTION, fields={"kind": "offence"})
    return report_withdraw(report=report, actor=erin, reason=WITHDRAWAL)


def _history(client: Client, report: Report, *, htmx: bool = False) -> str:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(f"/reports/{report.uuid}/history/", headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("htmx", [False, True])
def test_the_history_hides_correction_and_withdrawal_reasons_from_readers_without_personal_data_rights(
    client: Client, grace, withdrawn, htmx
):
    sign_in(client, grace)  # RILO administrator: sees the region's approved reports, not their personal data
    page = _history(client, withdrawn, htmx=htmx)
    assert "Jean Dupont" not in page and CORRECTION not in page and WITHDRAWAL not in page
    assert page.count("a reason was given (not shown: it may hold personal data)") == 2
    # The rest of the history stays.
    assert re.search(r"Kind of case: <del>Seizure</del> → <ins>Offence without seizure</ins>", page)


def test_the_history_shows_the_reasons_to_readers_with_personal_data_rights(client: Client, alice, erin, withdrawn):
    for reader in (alice, erin):
        sign_in(client, reader)
        page = _history(client, withdrawn)
        assert f"reason: {CORRECTION}" in page and f"reason: {WITHDRAWAL}" in page
        assert "not shown: it may hold personal data" not in page


def test_a_report_shared_without_personal_data_shows_no_reason_in_its_history(client: Client, alice, erin, bob, vocab):
    report = report_approve(
        report=report_send_for_review(
            report=build_report(
                by=alice,
                reference="FR-2025-0001",
                status=ReportStatus.DRAFT,
                through_services=True,
                **entry_form_report(),
            ),
            actor=alice,
        ),
        actor=erin,
    )
    report = report_correct(report=report, actor=erin, reason=CORRECTION, fields={"place": "Rouen"})
    report_share_with_administration(report=report, administration=bob.administration, actor=erin)
    sign_in(client, bob)
    page = _history(client, report)
    assert CORRECTION not in page and "a reason was given" in page


def test_the_csv_exports_audit_event_lists_the_reports_whose_personal_columns_were_exported(
    client, alice, erin, france, germany, vocab
):
    own = build_report(by=france, reference="FR-OWN")
    draft = build_report(by=france, status=ReportStatus.DRAFT, reference="FR-DRAFT")
    german = build_report(by=germany, reference="DE-VIEW-ONLY")
    report_share_with_administration(report=german, administration=france, actor=erin)  # without personal data
    sign_in(client, alice)
    response = client.get("/reports/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["National reference"] for row in rows} == {"FR-OWN", "FR-DRAFT", "DE-VIEW-ONLY"}

    event = AuditEvent.objects.get(actor=alice, action="report.export")
    assert event.detail["personal_columns"] is True
    assert sorted(event.detail["personal_reports"]) == sorted([str(own.uuid), str(draft.uuid)])


def test_a_filtered_export_lists_only_the_exported_reports(client, alice, france, vocab):
    build_report(by=france, reference="FR-OWN")
    draft = build_report(by=france, status=ReportStatus.DRAFT, reference="FR-DRAFT")
    sign_in(client, alice)
    b"".join(client.get("/reports/export.csv", {"status": "draft"}).streaming_content)
    event = AuditEvent.objects.get(actor=alice, action="report.export")
    assert event.detail["personal_reports"] == [str(draft.uuid)]


def test_the_export_audit_event_lists_personal_reports_up_to_a_bound_then_their_count(
    client, alice, france, vocab, settings
):
    reports = [build_report(by=france, reference=f"FR-{n}") for n in range(3)]
    sign_in(client, alice)
    settings.RILO_AUDIT_EXPORT_LIST_MAX = 3
    b"".join(client.get("/reports/export.csv").streaming_content)
    settings.RILO_AUDIT_EXPORT_LIST_MAX = 2
    b"".join(client.get("/reports/export.csv", {"status": "submitted"}).streaming_content)

    within, beyond = AuditEvent.objects.filter(actor=alice, action="report.export").order_by("pk")
    assert sorted(within.detail["personal_reports"]) == sorted(str(r.uuid) for r in reports)
    assert within.detail["personal_reports_count"] == 3 and "personal_reports_truncated" not in within.detail
    assert "personal_reports" not in beyond.detail
    assert beyond.detail["personal_reports_truncated"] is True
    assert beyond.detail["personal_reports_count"] == 3
    assert beyond.detail["filters"] == {"status": ["submitted"]}  # which reports: the filters' values too


def test_the_duplicate_candidate_count_counts_only_candidates_the_reader_may_see(
    client: Client, erin, france, germany, kazakhstan, vocab
):
    french = build_report(by=france, reference="FR-QUEUED")
    seen = build_report(by=germany, status=ReportStatus.APPROVED, reference="DE-CANDIDATE")
    hidden = build_report(by=kazakhstan, status=ReportStatus.APPROVED, reference="KZ-CANDIDATE")
    german_draft = build_report(by=germany, status=ReportStatus.DRAFT, reference="DE-DRAFT-CANDIDATE")
    for candidate in (seen, hidden, german_draft):
        DuplicateCandidate.objects.create(report=french, candidate=candidate, reasons=["conveyance_identifier"])

    assert duplicate_candidate_counts(user=erin, report_ids=[french.pk]) == {french.pk: 1}
    sign_in(client, erin)
    page = client.get("/reports/review/").content.decode()
    row = re.search(r"<tr>(?:(?!</tr>).)*FR-QUEUED(?:(?!</tr>).)*</tr>", page, re.S)
    assert row is not None, page
    assert re.findall(r"<td>([^<]*)</td>", row[0])[-1] == "1"
