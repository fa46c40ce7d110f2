"""Two reviewers approving the same report at the same moment, through two real database connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.core.exceptions import Conflict
from apps.reports.choices import ReportStatus
from apps.reports.models import Report, ReviewEvent
from apps.reports.services import report_approve, report_create_draft, report_send_for_review
from tests.builders import ROUTE, complete_fields, item_row
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_two_analysts_approving_at_once_make_exactly_one_approval_and_one_conflict(alice, erin, region_we):
    erwin = UserFactory.create(username="erwin", role="rilo_analyst", region=region_we)
    report = report_create_draft(actor=alice, fields=complete_fields(), items=[item_row()], route=ROUTE)
    report_send_for_review(report=report, actor=alice)

    barrier = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def approve(analyst) -> None:
        try:
            barrier.wait()
            report_approve(report=report, actor=analyst)
            outcomes[analyst.username] = "approved"
        except Conflict:
            outcomes[analyst.username] = "conflict"
        except Exception as error:  # surfaced by the assertion below
            outcomes[analyst.username] = repr(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=approve, args=(analyst,)) for analyst in (erin, erwin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["approved", "conflict"]
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    winner = next(name for name, outcome in outcomes.items() if outcome == "approved")
    assert report.approved_by is not None and report.approved_by.username == winner
    assert ReviewEvent.objects.filter(report=report, transition="approve").count() == 1
    assert Report.history.filter(uuid=report.uuid, status="approved").count() == 1
