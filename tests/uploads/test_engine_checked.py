"""The commit writes the reports the check kept, verifying only what may have changed since; anything changed,
missing or altered makes it check the file again (nothing is ever run from the kept file)."""

from __future__ import annotations

import gc
import io
import os
import pickle
from pathlib import Path

import pytest

from apps.reference.models import CommodityType, Unit
from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from apps.uploads import spool
from apps.uploads.checked import checked_load, checked_path
from apps.uploads.choices import ProblemKind, UploadState
from apps.uploads.committing import upload_commit_run
from apps.uploads.housekeeping import upload_purge_expired
from apps.uploads.models import Upload, UploadProblem
from apps.uploads.services import upload_cancel, upload_check, upload_commit
from apps.uploads.storage import stored_path
from apps.uploads.writing import CheckedReport
from tests.builders import build_report, vocabulary

from .engine import csv_bytes, csv_row, send

pytestmark = pytest.mark.django_db

GOOD = csv_bytes(
    csv_row("UP-1"),
    csv_row("UP-2", seizure_date="2025-03-20", commodity_type="cocaine", quantity="2,5", unit="KGM"),
)


@pytest.fixture(autouse=True)
def uploads_root(settings, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()
    return Path(settings.RILO_UPLOADS_ROOT)


def checked(upload: Upload) -> Upload:
    assert upload_check(upload_id=upload.pk) == "checked"
    return Upload.objects.get(pk=upload.pk)


def commit(upload: Upload, actor, *, submit: bool = False) -> str:
    upload_commit(upload=upload, actor=actor, submit=submit)
    return upload_commit_run(upload_id=upload.pk)


@pytest.mark.parametrize("piece", [1, 2000], ids=["a pickle per report", "one pickle"])
def test_the_check_keeps_its_reports_and_the_commit_writes_them_without_reading_the_file(alice, monkeypatch, piece):
    monkeypatch.setattr(spool, "PIECE", piece)  # a large upload's kept file is a run of pickles
    upload = checked(send(alice, GOOD))
    assert checked_path(upload.file_name).is_file()
    # The file is not read again: what it now holds is never looked at.
    stored_path(upload.file_name).write_bytes(b"not a CSV any more\x00\x01")

    assert commit(upload, alice) == "committed"

    upload.refresh_from_db()
    assert (upload.new_reports, upload.rows_written) == (2, upload.rows_read)
    assert sorted(Report.objects.values_list("national_reference", "status")) == [
        ("UP-1", ReportStatus.DRAFT),
        ("UP-2", ReportStatus.DRAFT),
    ]
    assert Report.objects.get(national_reference="UP-2").items.get().quantity == 2.5


def test_a_unit_withdrawn_since_the_check_is_found_at_its_cell_and_nothing_is_written(alice):
    upload = checked(send(alice, GOOD))
    Unit.objects.filter(code="KGM").update(active=False)

    assert commit(upload, alice) == "changed"

    assert not Report.objects.exists()
    problem = UploadProblem.objects.get(upload=upload, kind=ProblemKind.ERROR)
    assert (problem.national_reference, problem.field) == ("UP-2", "unit")
    assert not checked_path(upload.file_name).exists()


def test_a_report_made_with_the_same_reference_since_the_check_is_found_and_nothing_else_is_written(alice):
    upload = checked(send(alice, GOOD))
    assert upload.new_reports == 2
    build_report(by=alice, reference="UP-1", status=ReportStatus.SUBMITTED)

    assert commit(upload, alice) == "changed"

    assert list(Report.objects.values_list("national_reference", flat=True)) == ["UP-1"]
    assert UploadProblem.objects.get(upload=upload, kind=ProblemKind.ERROR).national_reference == "UP-1"


class _Runs:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_an_altered_kept_file_runs_nothing_and_the_file_is_checked_again(alice, tmp_path):
    upload = checked(send(alice, GOOD))
    marker = tmp_path / "ran"
    checked_path(upload.file_name).write_bytes(pickle.dumps([_Runs(marker)]))

    assert commit(upload, alice) == "committed"

    assert not marker.exists()
    assert Report.objects.count() == 2


class _Instance:
    """Pickled as the spool writes a model instance: by label and primary key."""

    def __init__(self, label: str, pk: object) -> None:
        self.label, self.pk = label, pk

    def __reduce__(self):
        return spool._term, (self.label, self.pk)


@pytest.mark.parametrize("label", ["accounts.User", "reports.Report", "no.Model", 7])
def test_a_kept_file_naming_a_model_no_report_holds_is_refused_and_the_file_checked_again(alice, label):
    upload = checked(send(alice, GOOD))
    forged = CheckedReport(
        existing_id=None,
        report_values={"national_reference": "FORGED", "created_by": _Instance(label, alice.pk)},
        parts={},
    )
    piece = pickle.dumps([forged])
    with pytest.raises(pickle.UnpicklingError, match="not a model whose instances a checked report holds"):
        spool.Unpickler(io.BytesIO(piece), {}).load()
    checked_path(upload.file_name).write_bytes(piece)

    assert commit(upload, alice) == "committed"

    assert sorted(Report.objects.values_list("national_reference", flat=True)) == ["UP-1", "UP-2"]


def test_a_kept_file_cut_short_is_checked_again_and_every_report_written(alice, monkeypatch):
    monkeypatch.setattr(spool, "PIECE", 1)
    upload = checked(send(alice, GOOD))
    kept = checked_path(upload.file_name)
    kept.write_bytes(kept.read_bytes()[:-5])  # the last piece cut short (a disk full, a copy interrupted)

    assert commit(upload, alice) == "committed"

    assert sorted(Report.objects.values_list("national_reference", flat=True)) == ["UP-1", "UP-2"]


@pytest.mark.parametrize("where", [0, 1], ids=["in its header", "in a piece"])
def test_a_kept_file_altered_is_checked_again_and_written_as_uploaded(alice, where):
    upload = checked(send(alice, GOOD))
    kept = checked_path(upload.file_name)
    data = kept.read_bytes()
    assert data.count(b"UP-2") == 2  # in the header's outline, and in the report's piece
    at = data.index(b"UP-2") if where == 0 else data.rindex(b"UP-2")
    kept.write_bytes(data[:at] + b"UP-9" + data[at + 4 :])  # the same length: only the keyed digest tells

    assert checked_load(file_name=upload.file_name, actor=alice, submit=False) is None
    assert commit(upload, alice) == "committed"

    assert sorted(Report.objects.values_list("national_reference", flat=True)) == ["UP-1", "UP-2"]


def test_another_uploads_kept_file_is_not_taken_for_its_own(alice):
    first, second = checked(send(alice, GOOD)), checked(send(alice, csv_bytes(csv_row("UP-3"))))
    checked_path(second.file_name).write_bytes(checked_path(first.file_name).read_bytes())

    assert checked_load(file_name=second.file_name, actor=alice, submit=False) is None
    assert commit(second, alice) == "committed"  # checked again: its own file's report, not the other's

    assert list(Report.objects.values_list("national_reference", flat=True)) == ["UP-3"]


def test_a_kept_file_is_not_read_with_another_secret_key(alice, settings):
    upload = checked(send(alice, GOOD))
    settings.SECRET_KEY = "another-" + settings.SECRET_KEY  # a file made elsewhere: its digest is not ours

    assert checked_load(file_name=upload.file_name, actor=alice, submit=False) is None
    assert commit(upload, alice) == "committed"  # checked again: nothing lost

    assert sorted(Report.objects.values_list("national_reference", flat=True)) == ["UP-1", "UP-2"]


def test_a_term_the_check_takes_though_retired_is_written_when_the_commit_checks_again(alice):
    # A commodity type's default unit is taken as it is, retired or not: the kept file is refused for it (a term
    # no longer in use), and the commit checks the file again and writes what that check kept in memory.
    retired = Unit.objects.create(code="ZZR", label="Retired unit", dimension=Unit.Dimension.OTHER, active=False)
    CommodityType.objects.create(code="snus", label="Snus", category=vocabulary()["tobacco"], default_unit=retired)
    upload = checked(send(alice, csv_bytes(csv_row("UP-SNUS", commodity_type="snus", unit=""))))

    assert commit(upload, alice) == "committed"

    assert Report.objects.get(national_reference="UP-SNUS").items.get().unit == retired


def test_the_kept_reports_go_with_a_cancelled_upload(alice, django_capture_on_commit_callbacks):
    upload = checked(send(alice, GOOD))
    kept = checked_path(upload.file_name)

    with django_capture_on_commit_callbacks(execute=True):
        upload_cancel(upload=upload, actor=alice)

    assert Upload.objects.get(pk=upload.pk).state == UploadState.CANCELLED
    assert not kept.exists()


def test_the_kept_reports_go_with_an_expired_upload(alice, django_capture_on_commit_callbacks):
    upload = checked(send(alice, GOOD))
    kept = checked_path(upload.file_name)
    Upload.objects.filter(pk=upload.pk).update(expires_at="2000-01-01T00:00:00Z")

    with django_capture_on_commit_callbacks(execute=True):
        upload_purge_expired()

    assert not kept.exists() and not stored_path(upload.file_name).exists()


def test_a_checked_report_holding_a_model_no_report_holds_is_refused_when_kept(alice):
    # Found where the check keeps its reports, not by a commit that throws the kept file away.
    kept = spool.ReportSpool([CheckedReport(existing_id=None, report_values={"created_by": alice}, parts={})])
    with pytest.raises(pickle.PicklingError, match=r"accounts\.User is not a model whose instances"):
        kept.pieces()


def test_a_kept_piece_read_back_leaves_nothing_for_the_garbage_collector():
    # The commit runs with the collector paused and reads the kept reports a piece at a time: a piece no longer
    # used must be freed at once, not held by a cycle (through the unpickler's memo) until a collection.
    unit = Unit.objects.get(code="KGM")
    kept = [
        CheckedReport(
            existing_id=None, report_values={"national_reference": f"UP-{n}"}, parts={"items": [{"unit": unit}]}
        )
        for n in (1, 2)
    ]
    (piece,) = spool.ReportSpool(kept).pieces()
    instances: dict = {}
    spool.Unpickler(io.BytesIO(piece), instances).load()  # the units read from the database, not while measured
    gc.collect()
    gc.disable()
    try:
        reports = spool.Unpickler(io.BytesIO(piece), instances).load()
        assert [report.parts["items"][0]["unit"] for report in reports] == [unit, unit]
        del reports
        unreachable = gc.collect()
    finally:
        gc.enable()

    assert unreachable == 0
