"""A large upload checked by two processes (apps/uploads/sharing.py): the worker's and a helper it forks, each
checking every other block of reports. The outcome is the one a single process gives — the same problems in the
same order, the same reports kept in the file's order, counts and preview — for a CSV and for a workbook; a helper
that fails fails the check; a check stopped midway leaves no helper behind.

Blocks of two references here (the module's are of thousands), so that a small file alternates between the two
processes many times."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.db import transaction

from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from apps.uploads import checking, sharing
from apps.uploads.checking import CheckOutcome, check_file
from apps.uploads.choices import ProblemKind
from apps.uploads.progress import UploadAbandoned
from apps.uploads.sharing import HelperFailed
from tests.builders import build_report, vocabulary

from .engine import csv_bytes, csv_row
from .files import write_xlsx
from .records import NoProgress

pytestmark = pytest.mark.django_db(transaction=True)  # the helper reads the database on a connection of its own


@pytest.fixture(autouse=True)
def shared(settings, monkeypatch) -> list[int]:
    """Blocks of two references, a helper for any file; the helpers started (their process ids) are listed."""
    vocabulary()
    monkeypatch.setattr(sharing, "BLOCK", 2)
    settings.RILO_UPLOADS_CHECK_SHARED_FROM = 0
    started: list[int] = []
    real = checking.check_helper

    def listed(path: Path) -> sharing.CheckHelper | None:
        helper = real(path)
        if helper is not None and not helper.is_helper:
            started.append(helper.pid)
        return helper

    monkeypatch.setattr(checking, "check_helper", listed)
    return started


def _check(settings, path: Path, file_format: str, actor, *, processes: int, progress=None) -> CheckOutcome:
    settings.RILO_UPLOADS_CHECK_PROCESSES = processes
    return check_file(
        path=path,
        file_format=file_format,
        encoding=None,
        variant="simplified",
        actor=actor,
        progress=progress or NoProgress(),
    )


def _seen(outcome: CheckOutcome) -> dict[str, object]:
    """Everything a check's outcome tells, in order."""
    return {
        "problems": [
            (p.kind, p.sheet, p.row, p.column, p.field, p.national_reference, p.message) for p in outcome.problems
        ],
        "reports": list(outcome.reports),
        "counts": (
            outcome.rows_read,
            outcome.new_reports,
            outcome.drafts_updated,
            outcome.rows_with_errors,
            outcome.duplicate_candidates,
        ),
        "preview": outcome.preview,
        "file": (outcome.encoding, outcome.separator),
    }


def _csv(tmp_path: Path) -> Path:
    """24 reports (12 blocks) with errors, rules across rows and duplicates spread over both processes' blocks."""
    rows = []
    for number in range(24):
        reference = f"SH-{number:02d}"
        values: dict[str, str] = {"seizure_date": f"{1 + number % 3:02d}/03/2025"}
        if number == 3:
            values["unit"] = "kgs"  # block 1: the helper's
        if number == 4:
            values["quantity"] = "-5"  # block 2: the worker's
        if number == 9:
            values["country_of_seizure"] = "Atlantis"
        rows.append(csv_row(reference, **values))
        if number % 5 == 0:
            rows.append(csv_row(reference, quantity="12", unit="KGM", commodity_type="cocaine", **values))
    rows.insert(7, csv_row("", quantity="3"))  # a row without its reference: the file's first share says so
    rows.append(csv_row("SH-07", seizure_date="05/03/2025"))  # a report given again with other values
    path = tmp_path / "seizures.csv"
    path.write_bytes(csv_bytes(*rows))
    return path


def test_a_csv_checked_by_two_processes_gives_what_one_gives(settings, tmp_path, alice, shared):
    draft = build_report(by=alice, reference="SH-11", status=ReportStatus.DRAFT)  # block 5: the helper's
    build_report(by=alice, reference="SH-12", status=ReportStatus.SUBMITTED)  # block 6: the worker's
    path = _csv(tmp_path)

    alone = _check(settings, path, "csv", alice, processes=1)
    assert shared == []
    together = _check(settings, path, "csv", alice, processes=2)

    assert len(shared) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(shared[0], 0)  # the helper has ended, and was waited for
    assert _seen(together) == _seen(alone)
    # What they found, from both processes' blocks.
    errors = {(p.national_reference, p.field) for p in together.problems if p.kind == ProblemKind.ERROR}
    assert {("SH-03", "unit"), ("SH-04", "quantity"), ("SH-09", "country_of_seizure"), ("", "national_reference")} <= (
        errors
    )
    assert ("SH-07", "national_reference") in errors and ("SH-12", "national_reference") in errors
    duplicates = {p.national_reference for p in together.problems if p.kind == ProblemKind.DUPLICATE}
    assert {"SH-00", "SH-02", "SH-05", "SH-06"} <= duplicates  # the same seizures, across both processes' blocks
    assert together.drafts_updated == 1
    assert [report.existing_id for report in together.reports].count(draft.pk) == 1
    kept = [report.report_values["national_reference"] for report in together.reports]
    assert kept == sorted(kept)  # in the file's order
    assert Report.objects.filter(national_reference__startswith="SH-").count() == 2  # nothing written


def test_a_workbook_checked_by_two_processes_gives_what_one_gives(settings, tmp_path, alice, shared):
    reports: list[list[object]] = [
        ["National reference", "Kind of case", "Country of seizure", "Date of seizure", "Mode of transport"]
    ]
    items: list[list[object]] = [["National reference", "Commodity type", "Quantity", "Unit"]]
    for number in range(14):
        reference = f"WS-{number:02d}"
        reports.append([reference, "Seizure", "FR", dt.datetime(2025, 3, 1 + number % 2), 3])
        items.append([reference, "cigarettes", 200000 if number != 6 else "many", "STK"])
    items.append(["WS-99", "cigarettes", 10, "STK"])  # an item of no report
    items.append([" ", "cigarettes", 10, "STK"])  # an item without its reference
    path = write_xlsx(tmp_path / "seizures.xlsx", {"Reports": reports, "Items": items})

    alone = _check(settings, path, "xlsx", alice, processes=1)
    together = _check(settings, path, "xlsx", alice, processes=2)

    assert len(shared) == 1
    assert _seen(together) == _seen(alone)
    errors = {(p.national_reference, p.sheet, p.row) for p in together.problems if p.kind == ProblemKind.ERROR}
    assert {("WS-06", "Items", 8), ("WS-99", "Items", 16), ("", "Items", 17)} <= errors
    assert together.new_reports == 13


def test_a_helper_that_fails_fails_the_check(settings, tmp_path, alice, monkeypatch):
    worker = os.getpid()
    real = checking.existing_reports

    def failing_in_the_helper(actor, references):
        if os.getpid() != worker:
            raise RuntimeError("the helper's database is gone")
        return real(actor, references)

    monkeypatch.setattr(checking, "existing_reports", failing_in_the_helper)

    with pytest.raises(HelperFailed, match="the helper's database is gone"):
        _check(settings, _csv(tmp_path), "csv", alice, processes=2)


def test_a_check_stopped_midway_leaves_no_helper(settings, tmp_path, alice, shared):
    def cancelled(read: int, checked: int) -> None:
        if checked:  # the upload was cancelled once checking began
            raise UploadAbandoned("cancelled")

    with pytest.raises(UploadAbandoned):
        _check(settings, _csv(tmp_path), "csv", alice, processes=2, progress=cancelled)

    assert len(shared) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(shared[0], 0)


def test_progress_counts_both_processes_rows(settings, tmp_path, alice):
    progress = NoProgress()

    outcome = _check(settings, _csv(tmp_path), "csv", alice, processes=2, progress=progress)

    checked = [done for _read, done in progress.calls]
    assert checked == sorted(checked)  # never backwards
    assert progress.calls[-1] == (outcome.rows_read, outcome.rows_read)


def test_no_helper_inside_a_transaction_nor_for_a_small_file(settings, tmp_path, alice, shared):
    with transaction.atomic():  # the helper's own connection would not see what this one has not committed
        _check(settings, _csv(tmp_path), "csv", alice, processes=2)
    settings.RILO_UPLOADS_CHECK_SHARED_FROM = 10**9
    _check(settings, _csv(tmp_path), "csv", alice, processes=2)

    assert shared == []
