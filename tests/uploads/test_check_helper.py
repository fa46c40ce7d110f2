"""A large upload checked by two processes (apps/uploads/helper.py): the worker's and a helper it forks, each
checking its blocks of reports in turn. The outcome is the one a single process gives — the same problems in the
same order, the same reports kept in the file's order, counts and preview — for a CSV and for a workbook; the
readers give both processes the same records; a helper that fails leaves the check to the worker's process; a
check stopped midway leaves no helper behind.

Blocks of two references here (the module's are of thousands), so that a small file alternates between the two
processes many times."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from pathlib import Path

import pytest
from django.db import transaction
from openpyxl import load_workbook

from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from apps.uploads import checking, helper
from apps.uploads.checking import CheckOutcome, check_file
from apps.uploads.choices import ProblemKind
from apps.uploads.columns import REFERENCE
from apps.uploads.helper import Share
from apps.uploads.outcome import Findings
from apps.uploads.progress import UploadAbandoned
from apps.uploads.reading import read_upload
from bench.upload import _generate, _write_csv, _write_xlsx
from tests.builders import build_report, vocabulary

from .engine import csv_bytes, csv_row
from .files import write_xlsx
from .records import NoProgress

pytestmark = pytest.mark.django_db(transaction=True)  # the helper reads the database on a connection of its own


class Helpers:
    """The helpers started (their process ids), whether the worker's process waits for one, and what each handed
    over."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.waiting = False
        self.handed: list[Findings] = []


@pytest.fixture(autouse=True)
def helpers(settings, monkeypatch) -> Helpers:
    """Blocks of two references, a helper for any file; the helpers started and their findings are listed."""
    vocabulary()
    monkeypatch.setattr(helper, "BLOCK", 2)
    monkeypatch.setattr(helper.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)  # two cores
    settings.RILO_UPLOADS_CHECK_HELPER_FROM = 0
    listed = Helpers()
    start, result = checking.start_helper, helper.CheckHelper.result

    def started(path: Path, work: helper.Work) -> helper.CheckHelper | None:
        found = start(path, work)  # (in the helper, this never returns)
        if found is not None:
            listed.started.append(found.pid)
        return found

    def handed(self: helper.CheckHelper, *args: object, **kwargs: object) -> Findings:
        listed.waiting = True
        findings = result(self, *args, **kwargs)  # type: ignore[arg-type]
        listed.handed.append(findings)
        return findings

    monkeypatch.setattr(checking, "start_helper", started)
    monkeypatch.setattr(helper.CheckHelper, "result", handed)
    return listed


def _reaped(pid: int) -> bool:
    """Whether process ``pid`` has ended and been waited for (it is no child of this process any more)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _check(settings, path: Path, file_format: str, actor, *, helped: bool, progress=None) -> CheckOutcome:
    settings.RILO_UPLOADS_CHECK_HELPER = helped
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
    outline = outcome.outline
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
        # What the commit checks of them all (in whatever order the shares took them) and the instances they name.
        "outline": (
            outline.count,
            outline.new,
            outline.new_with_parties,
            sorted(outline.existing_ids),
            outline.parties_given,
            sorted((pk or 0, operation.pk) for pk, operation in outline.operations),
            sorted(outline.references, key=repr),
        ),
        "terms": outcome.terms,
    }


def _csv(tmp_path: Path) -> Path:
    """24 reports (12 blocks) with errors, rules across rows and duplicates spread over both processes' blocks."""
    rows = []
    for number in range(24):
        reference = f"SH-{number:02d}"
        values: dict[str, str] = {"seizure_date": f"{1 + number % 3:02d}/03/2025"}
        if number == 3:
            values["unit"] = "kgs"  # block 1: the worker's
        if number == 4:
            values["quantity"] = "-5"  # block 2: the helper's
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


def test_a_csv_checked_by_two_processes_gives_what_one_gives(settings, tmp_path, alice, helpers):
    draft = build_report(by=alice, reference="SH-11", status=ReportStatus.DRAFT)  # block 5: the worker's
    build_report(by=alice, reference="SH-12", status=ReportStatus.SUBMITTED)  # block 6: the helper's
    path = _csv(tmp_path)

    alone = _check(settings, path, "csv", alice, helped=False)
    assert helpers.started == []
    together = _check(settings, path, "csv", alice, helped=True)

    [pid] = helpers.started
    assert _reaped(pid)
    assert _seen(together) == _seen(alone)
    # What they found, each in its blocks (blocks of two: the helper's first, then the worker's, in turn).
    [theirs] = helpers.handed
    assert {"SH-04", "SH-09", "SH-12"} <= {p.national_reference for p in theirs.problems.kept}
    assert not {"SH-03", "SH-07", ""} & {p.national_reference for p in theirs.problems.kept}
    assert theirs.new_reports == 9 and theirs.pieces  # 12 of its reports, 3 with errors
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


def test_past_the_problems_limit_two_processes_keep_the_files_first_problems_and_count_them_all(
    settings, tmp_path, alice, helpers
):
    path = _csv(tmp_path)
    whole = _check(settings, path, "csv", alice, helped=False)
    settings.RILO_UPLOADS_MAX_PROBLEMS = 1

    alone = _check(settings, path, "csv", alice, helped=False)
    together = _check(settings, path, "csv", alice, helped=True)

    assert len(helpers.started) == 1
    [theirs] = helpers.handed
    assert len(theirs.problems.kept) == 1 < theirs.problems.found  # each process keeps no more than the limit
    assert _seen(together) == _seen(alone)
    assert alone.problems == whole.problems[:1]
    assert alone.errors == whole.errors > 1
    seen, all_seen = _seen(alone), _seen(whole)
    assert (seen["counts"], seen["reports"]) == (all_seen["counts"], all_seen["reports"])


def test_what_is_recorded_is_compared_alike_by_two_processes(settings, tmp_path, alice, helpers):
    # Each process looks up what is recorded that its own items may match: the recorded report both match is
    # named once per row, and the returned one a row of the file replaces is compared as the file has it, in
    # whichever process's block it stands.
    build_report(by=alice, reference="REC-1", status=ReportStatus.SUBMITTED)  # the file's seizure, recorded
    returned = build_report(by=alice, reference="SH-02", status=ReportStatus.RETURNED)  # block 1: the worker's
    path = tmp_path / "seizures.csv"
    path.write_bytes(csv_bytes(*(csv_row(f"SH-{number:02d}") for number in range(6))))

    alone = _check(settings, path, "csv", alice, helped=False)
    together = _check(settings, path, "csv", alice, helped=True)

    assert _seen(together) == _seen(alone)
    recorded = {p.national_reference for p in together.problems if "REC-1" in p.message}
    assert recorded == {f"SH-{number:02d}" for number in range(6)}  # both processes' rows
    assert not [p for p in together.problems if "SH-02 already recorded" in p.message]
    assert [report.existing_id for report in together.reports].count(returned.pk) == 1


def test_a_workbook_checked_by_two_processes_gives_what_one_gives(settings, tmp_path, alice, helpers):
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

    alone = _check(settings, path, "xlsx", alice, helped=False)
    together = _check(settings, path, "xlsx", alice, helped=True)

    assert len(helpers.started) == 1 and helpers.handed[0].new_reports == 8  # blocks 0, 2, 4 and 6
    assert _seen(together) == _seen(alone)
    errors = {(p.national_reference, p.sheet, p.row) for p in together.problems if p.kind == ProblemKind.ERROR}
    assert {("WS-06", "Items", 8), ("WS-99", "Items", 16), ("", "Items", 17)} <= errors
    assert together.new_reports == 13


def test_a_helper_that_fails_leaves_the_check_to_the_workers_process(settings, tmp_path, alice, helpers, monkeypatch):
    worker = os.getpid()
    real = checking.existing_reports

    def failing_in_the_helper(actor, references):
        if os.getpid() != worker:
            raise RuntimeError("the helper's database is gone")
        return real(actor, references)

    path = _csv(tmp_path)
    alone = _check(settings, path, "csv", alice, helped=False)
    monkeypatch.setattr(checking, "existing_reports", failing_in_the_helper)
    progress = NoProgress()

    together = _check(settings, path, "csv", alice, helped=True, progress=progress)

    assert len(helpers.started) == 1 and helpers.handed == [] and _reaped(helpers.started[0])
    assert _seen(together) == _seen(alone)
    checked = [done for _read, done in progress.calls]
    assert checked == sorted(checked)  # the helper's share checked again here: the progress never goes back


def test_a_helper_killed_leaves_its_share_to_the_workers_process(settings, tmp_path, alice, helpers, monkeypatch):
    worker = os.getpid()
    real = checking.existing_reports

    def killed_in_the_helper(actor, references):
        if os.getpid() != worker:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(actor, references)

    path = _csv(tmp_path)
    alone = _check(settings, path, "csv", alice, helped=False)
    monkeypatch.setattr(checking, "existing_reports", killed_in_the_helper)

    together = _check(settings, path, "csv", alice, helped=True)

    assert len(helpers.started) == 1 and helpers.handed == [] and _reaped(helpers.started[0])
    assert _seen(together) == _seen(alone)


def test_a_fork_that_fails_leaves_the_check_to_the_workers_process(settings, tmp_path, alice, helpers, monkeypatch):
    path = _csv(tmp_path)
    alone = _check(settings, path, "csv", alice, helped=False)

    def no_fork() -> int:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(helper.os, "fork", no_fork)
    together = _check(settings, path, "csv", alice, helped=True)

    assert helpers.started == []
    assert _seen(together) == _seen(alone)


def test_a_check_stopped_while_its_helper_works_kills_the_helper(settings, tmp_path, alice, helpers, monkeypatch):
    worker = os.getpid()
    real = checking.existing_reports

    def slow_in_the_helper(actor, references):
        if os.getpid() != worker:
            time.sleep(120)
        return real(actor, references)

    monkeypatch.setattr(checking, "existing_reports", slow_in_the_helper)
    settings.RILO_UPLOADS_PROGRESS_SECONDS = 0.05

    def cancelled(read: int, checked: int) -> None:
        if helpers.waiting:  # the upload is cancelled while the worker's process waits for its helper
            raise UploadAbandoned("cancelled")

    started = time.monotonic()
    with pytest.raises(UploadAbandoned):
        _check(settings, _csv(tmp_path), "csv", alice, helped=True, progress=cancelled)

    assert time.monotonic() - started < 60  # the helper was not waited for
    assert len(helpers.started) == 1 and _reaped(helpers.started[0])


def test_no_helper_inside_a_transaction_nor_for_a_small_file(settings, tmp_path, alice, helpers):
    with transaction.atomic():  # the helper's own connection would not see what this one has not committed
        _check(settings, _csv(tmp_path), "csv", alice, helped=True)
    settings.RILO_UPLOADS_CHECK_HELPER_FROM = 10**9
    _check(settings, _csv(tmp_path), "csv", alice, helped=True)

    assert helpers.started == []


# --- the readers, for a process that checks only some references ---------------------------------------------


def _read(path: Path, file_format: str, index: int | None) -> list:
    """The records of the file, as process ``index`` reads them (None: every row converted)."""
    wanted = None if index is None else checking._Numbers(Share(index=index, owners=helper.HELPED)).owns
    return list(read_upload(path, format=file_format, variant="full", wanted=wanted))


def _files(tmp_path: Path) -> list[tuple[Path, str]]:
    """A CSV and a workbook of 120 reports with routes, conveyances and persons; rows without a reference, a
    reference holding a NUL, a reference that is a formula; and the CSV form as a workbook's sheet."""
    reports = _generate(item_rows=200, prefix="RD", country="FR")
    csv_path, book_path, form_path = tmp_path / "r.csv", tmp_path / "r.xlsx", tmp_path / "form.xlsx"
    _write_csv(reports, csv_path)
    lines = csv_path.read_text().splitlines()
    lines[5] = "\x00" + lines[5]  # a NUL in the reference cell
    lines[9] = "," + lines[9].split(",", 1)[1]  # no reference
    csv_path.write_text("\n".join(lines) + "\n")
    _write_xlsx(reports, book_path)
    book = load_workbook(book_path)
    book["Items"]["A4"] = "=A3"  # a formula in the reference cell
    book["Items"]["A7"] = None
    book["Reports"].append(["RD-000001", "seizure"])  # a report given again
    book.save(book_path)
    form = load_workbook(book_path)
    for title in form.sheetnames:
        del form[title]
    sheet = form.create_sheet("CSV")
    for line in csv_path.read_text().replace("\x00", "").splitlines():
        sheet.append(line.split(","))
    sheet["A12"] = "=A11"
    form.save(form_path)
    return [(csv_path, "csv"), (book_path, "xlsx"), (form_path, "xlsx")]


def test_a_process_reads_the_same_records_converting_only_its_own_rows(tmp_path):
    for path, file_format in _files(tmp_path):
        full = _read(path, file_format, None)
        owned: dict[str, set[int]] = {}
        for index in (0, 1):
            shared = _read(path, file_format, index)
            assert [(r.part, r.sheet, r.row, r.cells) for r in shared] == [
                (r.part, r.sheet, r.row, r.cells) for r in full
            ]
            for mine, whole in zip(shared, full, strict=True):
                if mine.values == whole.values and mine.problems == whole.problems:
                    owned.setdefault(str(whole.values.get(REFERENCE)), set()).add(index)
                else:  # another process's row: its reference alone, as that process reads it
                    assert mine.values == {REFERENCE: whole.values[REFERENCE]}, (path.name, mine, whole)
        # Every row is converted by one process at least, and a row with a reference by exactly one.
        assert all(owners for owners in owned.values())
        assert all(len(owners) == 1 for reference, owners in owned.items() if reference not in ("None", "")), path.name
        assert {0, 1} <= set().union(*owned.values())
