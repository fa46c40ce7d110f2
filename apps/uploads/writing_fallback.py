"""The commit's writer until the set-based one (``apps.uploads.writing.reports_write``) is in place: the same
signature and types, one report at a time through the reports' own steps (``apps.reports.services.steps``), so
each report is written exactly as the web form writes it. Always called inside the commit's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from apps.core.actor import Actor
from apps.reports.choices import ReportStatus, Transition
from apps.reports.models import Report
from apps.reports.services import report_send_for_review
from apps.reports.services.steps import apply, lock, record


@dataclass
class CheckedReport:
    """One report of an upload, cleaned by the one validator: what ``steps.clean_all`` returns, and the draft
    (or returned report) of the uploader's administration it replaces, if any."""

    existing_id: int | None
    report_values: dict[str, Any]
    parts: dict[str, list[dict[str, Any]]]


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    report_ids: list[int] = field(default_factory=list)


def reports_write(
    *, actor: Actor, reports: Sequence[CheckedReport], submit: bool, progress: Callable[[int], None]
) -> WriteResult:
    """Write ``reports`` for ``actor``'s administration (inside the caller's transaction): new ones as drafts,
    existing ones' fields and parts replaced; each sent for review when ``submit``."""
    result = WriteResult()
    for number, checked in enumerate(reports, start=1):
        parts: dict[str, list[dict[str, Any]] | None] = dict(checked.parts)
        if checked.existing_id is None:
            report = Report(
                administration_id=actor.administration_id, created_by_id=actor.pk, status=ReportStatus.DRAFT
            )
            apply(report=report, actor=actor, report_values=dict(checked.report_values), parts=parts)
            record(report=report, actor=actor, transition=Transition.CREATE, from_status="")
            result.created += 1
        else:
            report = lock(report=Report(pk=checked.existing_id), actor=actor)
            apply(report=report, actor=actor, report_values=dict(checked.report_values), parts=parts)
            result.updated += 1
        if submit:
            report_send_for_review(report=report, actor=actor)
        result.report_ids.append(report.pk)
        progress(number)
    return result
