"""Reports sent for review in bulk: counted in the statistics as those sent one by one, and the analysts told
once per upload, not once per report."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from apps.accounts.models import User
from apps.dashboards.models import DirtyBucket
from apps.dashboards.services import statistics_rebuild, statistics_recompute_dirty
from apps.mail.models import MailMessage
from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from apps.reports.services.steps import clean_all
from apps.uploads.writing import CheckedReport, Outline, reports_write
from tests.builders import complete_fields, complete_report, report_body
from tests.helpers import bearer

PARTS = ("items", "route", "conveyances", "parties")
STATISTICS = "/api/v1/statistics/key_figures/"


@pytest.fixture(autouse=True)
def _terms(db: None) -> None:
    complete_report()
    complete_fields()


def checked(reference: str) -> CheckedReport:
    body = report_body(reference)
    fields = {name: value for name, value in body.items() if name not in PARTS}
    report_values, cleaned = clean_all(fields=fields, **{part: body.get(part, []) for part in PARTS})
    return CheckedReport(existing_id=None, report_values=report_values, parts=cleaned)


def submit(actor: User, references: list[str]) -> list[int]:
    with transaction.atomic():
        reports = [checked(reference) for reference in references]
        result = reports_write(
            actor=actor, reports=reports, submit=True, progress=lambda written: None, outline=Outline.of(reports)
        )
    return result.report_ids


def reports_counted(api: Any, token: str) -> int:
    data = api.get(STATISTICS, {"state": ["approved", "submitted"]}, **bearer(token)).json()
    assert data["source"] == "summary"
    return int(next(row for row in data["rows"] if row["figure"] == "reports")["value"])


def test_a_report_submitted_in_bulk_is_counted_once_its_bucket_is_recomputed(
    api: Any, issue_token: Any, alice: User, erin: User
) -> None:
    statistics_rebuild()
    with connection.cursor() as cursor:
        # The rebuild checks the foreign keys at once in its transaction, here the test's; a commit's
        # transaction starts with them deferred, as Django declares them, which the bulk writer relies on.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    token = issue_token(erin)  # the region's analyst: only RILO staff count submitted reports
    before = reports_counted(api, token)

    [report_id] = submit(alice, ["FR-BULK-COUNTED"])

    report = Report.objects.get(pk=report_id)
    assert report.status == ReportStatus.SUBMITTED
    month = report.seizure_date.replace(day=1)
    assert DirtyBucket.objects.filter(month=month, administration_id=report.administration_id).exists()
    assert statistics_recompute_dirty() >= 1
    assert reports_counted(api, token) == before + 1


def test_a_draft_written_in_bulk_marks_no_bucket(alice: User) -> None:
    with transaction.atomic():
        reports = [checked("FR-BULK-DRAFT")]
        reports_write(
            actor=alice, reports=reports, submit=False, progress=lambda written: None, outline=Outline.of(reports)
        )
    assert not DirtyBucket.objects.exists()


def test_the_analysts_get_one_email_for_an_upload_of_many_reports(alice: User, erin: User) -> None:
    MailMessage.objects.all().delete()

    submit(alice, ["FR-BULK-MAIL-1", "FR-BULK-MAIL-2", "FR-BULK-MAIL-3"])

    mails = list(MailMessage.objects.filter(recipient=erin.email))
    assert len(mails) == 1
    [mail] = mails
    assert mail.kind == "reports/email/submitted_in_bulk"
    assert "3 reports" in mail.subject
    assert "3 reports" in mail.body and "/reports/review/" in mail.body
    assert not MailMessage.objects.filter(kind="reports/email/submitted").exists()
