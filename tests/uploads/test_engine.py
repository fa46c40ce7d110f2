"""The upload engine's services, run in this process: send, check, commit, cancel, restart, sweep, purge.

Every refusal asserts that nothing was written (reports, their parts and trail, audit events, uploads, files)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.core.personal import field_names, non_personal_fields, personal_fields
from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from apps.uploads.choices import ProblemKind, UploadState
from apps.uploads.committing import upload_commit_run
from apps.uploads.housekeeping import upload_purge_expired, upload_sweep
from apps.uploads.models import Upload, UploadProblem
from apps.uploads.selectors import upload_get, upload_list
from apps.uploads.services import (
    UploadRefusedError,
    UploadTooLarge,
    upload_cancel,
    upload_check,
    upload_commit,
    upload_restart,
)
from apps.uploads.storage import stored_path
from tests.builders import build_report, vocabulary

from .engine import csv_bytes, csv_row, send, stored_files, written
from .files import declaring, with_extra_entries, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_root(settings, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()
    return Path(settings.RILO_UPLOADS_ROOT)


def checked(upload: Upload) -> Upload:
    assert upload_check(upload_id=upload.pk) == "checked"
    return Upload.objects.get(pk=upload.pk)


def committed(upload: Upload, actor, *, submit: bool = False) -> Upload:
    upload_commit(upload=upload, actor=actor, submit=submit)
    outcome = upload_commit_run(upload_id=upload.pk)
    assert outcome == "committed", (outcome, Upload.objects.get(pk=upload.pk).error)
    return Upload.objects.get(pk=upload.pk)


GOOD = csv_bytes(
    csv_row("UP-1"),
    csv_row("UP-1", quantity="1000", description="More in the boot"),
    csv_row("UP-2", seizure_date="2025-03-20", commodity_type="cocaine", quantity="2,5", unit="KGM"),
)


# --- sending -------------------------------------------------------------------------------------------------


def test_a_sent_file_is_kept_privately_and_waits_for_a_worker_nothing_else_written(alice, uploads_root):
    before = Report.objects.count()

    upload = send(alice, GOOD)

    assert upload.state == UploadState.QUEUED
    assert (upload.administration_id, upload.uploaded_by_id) == (alice.administration_id, alice.pk)
    assert (upload.format, upload.size, upload.original_name) == ("csv", len(GOOD), "seizures.csv")
    assert stored_path(upload.file_name).read_bytes() == GOOD
    assert stored_files(uploads_root) == [f"files/{upload.uuid}.csv"]
    assert upload.expires_at is not None and upload.expires_at > timezone.now() + dt.timedelta(days=29)
    assert Report.objects.count() == before
    event = AuditEvent.objects.get(action="upload.create")
    assert (event.object_uuid, event.administration_id, event.detail["format"]) == (
        upload.uuid,
        alice.administration_id,
        "csv",
    )


def _zip_bomb(tmp_path: Path) -> bytes:
    source = write_xlsx(tmp_path / "book.xlsx", {"Reports": [["National reference"], ["UP-1"]]})
    target = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in original.infolist():
            bomb.writestr(info.filename, original.read(info.filename))
        bomb.writestr("xl/media/padding.bin", b"\0" * (300 * 1024 * 1024))
    return target.getvalue()


def _lying_strings(tmp_path: Path) -> bytes:
    """A workbook whose shared strings inflate to fifty times the size their zip entry declares."""
    source = write_xlsx(tmp_path / "book.xlsx", {"Reports": [["National reference"], ["UP-1"]]})
    strings = "".join(f"<si><t>seizure {number}</t></si>" for number in range(5000))
    sst = f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>'
    path = with_extra_entries(source, tmp_path / "lying.xlsx", {"xl/sharedStrings.xml": sst.encode()})
    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo("xl/sharedStrings.xml").file_size
    declaring(path, "xl/sharedStrings.xml", size // 50)
    return path.read_bytes()


def _macro_workbook(tmp_path: Path) -> bytes:
    source = write_xlsx(tmp_path / "book.xlsx", {"Reports": [["National reference"], ["UP-1"]]})
    target = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as macro:
        for info in original.infolist():
            macro.writestr(info.filename, original.read(info.filename))
        macro.writestr("xl/vbaProject.bin", b"macro")
    return target.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.csv", lambda tmp: b""),
        ("photo.csv", lambda tmp: b"\x89PNG\r\n\x1a\n" + b"\0" * 200),
        ("report.csv", lambda tmp: b"%PDF-1.7\n" + b"\0\1\2" * 100),
        ("bomb.xlsx", _zip_bomb),
        ("lying.xlsx", _lying_strings),
        ("macros.xlsx", _macro_workbook),
    ],
)
def test_a_hostile_or_wrong_file_is_refused_by_its_content_and_nothing_is_kept(
    alice, uploads_root, tmp_path, name, content
):
    data = content(tmp_path)
    before = written()

    with pytest.raises(UploadRefusedError) as refused:
        send(alice, data, name=name)

    assert refused.value.message
    assert written() == before
    assert stored_files(uploads_root) == []


def test_a_file_past_the_size_limit_is_refused_and_nothing_is_kept(alice, uploads_root, settings):
    settings.RILO_UPLOAD_MAX_BYTES = len(GOOD) - 1
    before = written()

    with pytest.raises(UploadTooLarge) as refused:
        send(alice, GOOD)

    assert refused.value.status == 413 and "larger than" in refused.value.message
    assert written() == before and stored_files(uploads_root) == []


@pytest.mark.parametrize("persona", ["erin", "hugo", "ivan", "grace"])
def test_who_does_not_add_reports_for_an_administration_cannot_upload(request, persona, uploads_root):
    before = written()

    with pytest.raises(PermissionDenied):
        send(request.getfixturevalue(persona), GOOD)

    assert written() == before and stored_files(uploads_root) == []


def test_an_unknown_encoding_or_variant_is_refused_at_its_field(alice, uploads_root):
    before = written()
    with pytest.raises(UploadRefusedError) as encoding:
        send(alice, GOOD, encoding="klingon")
    with pytest.raises(UploadRefusedError) as variant:
        send(alice, GOOD, variant="longest")
    assert encoding.value.extra == {"encoding": [encoding.value.message]}
    assert variant.value.extra == {"variant": [variant.value.message]}
    assert written() == before and stored_files(uploads_root) == []


def test_a_file_refused_by_its_content_or_size_is_refused_at_the_file_field(alice, settings):
    with pytest.raises(UploadRefusedError) as content:
        send(alice, b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    settings.RILO_UPLOAD_MAX_BYTES = 100
    with pytest.raises(UploadTooLarge) as size:
        send(alice, GOOD)
    for refused in (content, size):
        assert refused.value.extra == {"file": [refused.value.message]}


# --- checking ------------------------------------------------------------------------------------------------


def test_the_check_stores_counts_problems_and_a_preview_and_writes_no_report(alice):
    upload = send(alice, GOOD)
    before = Report.objects.count()

    upload = checked(upload)

    assert upload.state == UploadState.CHECKED and upload.may_commit
    assert (upload.rows_read, upload.rows_checked, upload.rows_total) == (3, 3, 3)
    assert (upload.new_reports, upload.drafts_updated, upload.rows_with_errors) == (2, 0, 0)
    assert (upload.encoding, upload.detected_encoding, upload.separator) == ("", "utf-8", ";")
    assert [entry["national_reference"] for entry in upload.preview] == ["UP-1", "UP-2"]
    assert upload.preview[1]["items"][0]["quantity"] == "2.5"
    assert not UploadProblem.objects.filter(upload=upload, kind=ProblemKind.ERROR).exists()
    assert Report.objects.count() == before


def test_errors_are_stored_at_their_cells_and_such_an_upload_cannot_be_committed(alice):
    upload = checked(send(alice, csv_bytes(csv_row("UP-1"), csv_row("UP-2", unit="kgs", quantity="-1"))))
    before = written()

    problems = list(UploadProblem.objects.filter(upload=upload, kind=ProblemKind.ERROR).order_by("pk"))
    assert {(p.sheet, p.row, p.column) for p in problems} == {("CSV", 3, "unit"), ("CSV", 3, "quantity")}
    assert any("'kgs' is not a code in use" in p.message for p in problems)
    assert upload.rows_with_errors == 1 and not upload.may_commit
    with pytest.raises(Conflict):
        upload_commit(upload=upload, actor=alice, submit=False)
    assert written() == before


def test_at_most_the_problems_limit_is_kept_errors_first_and_the_counts_stay_whole(alice, settings):
    settings.RILO_UPLOADS_MAX_PROBLEMS = 2
    rows = [csv_row(f"UP-{n}", quantity="-1") for n in range(3)]
    upload = checked(send(alice, csv_bytes(*rows, csv_row("UP-8"), csv_row("UP-9"))))

    kept = list(UploadProblem.objects.filter(upload=upload).values_list("kind", "row"))
    assert kept == [(ProblemKind.ERROR, 2), (ProblemKind.ERROR, 3)]
    assert upload.rows_with_errors == 3 and upload.duplicate_candidates == 2


def test_a_problem_is_stored_with_a_message_of_bounded_length_at_its_cell(alice):
    header, row = csv_bytes(csv_row("UP-1")).decode().splitlines()
    unknown = "Remarks " + "x" * 100_000  # an unknown column, its header quoted by its problem
    upload = checked(send(alice, f"{header};{unknown}\r\n{row};\r\n".encode()))

    [problem] = UploadProblem.objects.filter(upload=upload)
    assert (problem.sheet, problem.row, problem.column) == ("CSV", 1, unknown[:128])
    assert problem.message.startswith("Unknown column 'Remarks xxx") and len(problem.message) <= 1000


def test_a_file_past_the_row_limit_fails_with_what_to_do_and_nothing_is_written(alice, settings):
    settings.RILO_UPLOAD_MAX_ROWS = 2
    upload = send(alice, GOOD)
    before = Report.objects.count()

    assert upload_check(upload_id=upload.pk) == "refused"

    upload.refresh_from_db()
    assert upload.state == UploadState.FAILED and upload.error
    assert Report.objects.count() == before and not upload.problems.exists()


def test_a_second_delivery_of_the_check_finds_it_claimed(alice):
    upload = checked(send(alice, GOOD))

    assert upload_check(upload_id=upload.pk) == "not queued"


# --- committing ----------------------------------------------------------------------------------------------


def test_a_commit_writes_every_report_for_the_uploaders_administration_as_drafts(alice):
    upload = checked(send(alice, GOOD))

    upload = committed(upload, alice)

    assert upload.state == UploadState.COMMITTED and upload.rows_written == upload.rows_read
    assert (upload.new_reports, upload.drafts_updated) == (2, 0)
    reports = Report.objects.filter(national_reference__in=["UP-1", "UP-2"]).order_by("national_reference")
    assert [(r.administration_id, r.status, r.created_by_id) for r in reports] == [
        (alice.administration_id, ReportStatus.DRAFT, alice.pk)
    ] * 2
    assert [item.quantity for item in reports[0].items.order_by("position")] == [200000, 1000]
    event = AuditEvent.objects.get(action="upload.commit")
    assert event.object_uuid == upload.uuid and event.detail["created"] == 2


def test_the_same_file_again_changes_nothing_but_the_drafts_it_updates(alice):
    committed(checked(send(alice, GOOD)), alice)
    first = sorted(Report.objects.values_list("national_reference", "status", "place"))
    items = sorted(Report.objects.values_list("national_reference", "items__quantity"))

    again = committed(checked(send(alice, GOOD)), alice)

    assert (again.new_reports, again.drafts_updated) == (0, 2)
    assert sorted(Report.objects.values_list("national_reference", "status", "place")) == first
    assert sorted(Report.objects.values_list("national_reference", "items__quantity")) == items


def test_a_commit_may_submit_every_report_for_review(alice):
    upload = checked(send(alice, GOOD))

    committed(upload, alice, submit=True)

    assert set(Report.objects.filter(national_reference__startswith="UP-").values_list("status", flat=True)) == {
        ReportStatus.SUBMITTED
    }


def test_a_report_submitted_since_the_check_puts_the_upload_back_with_the_error_and_nothing_is_written(alice):
    draft = build_report(by=alice, reference="UP-1", status=ReportStatus.DRAFT)
    upload = checked(send(alice, GOOD))
    assert upload.drafts_updated == 1
    Report.objects.filter(pk=draft.pk).update(status=ReportStatus.SUBMITTED)
    upload_commit(upload=upload, actor=alice, submit=False)
    before = {key: value for key, value in written().items() if key not in ("uploads", "problems")}

    assert upload_commit_run(upload_id=upload.pk) == "changed"

    upload.refresh_from_db()
    assert upload.state == UploadState.CHECKED and upload.rows_with_errors == 1 and not upload.may_commit
    assert "Something changed" in upload.error
    assert UploadProblem.objects.get(upload=upload, kind=ProblemKind.ERROR).national_reference == "UP-1"
    assert {key: value for key, value in written().items() if key not in ("uploads", "problems")} == before


def test_reports_to_submit_that_are_incomplete_stop_the_commit_before_anything_is_written(alice):
    upload = checked(send(alice, csv_bytes(csv_row("UP-1", transport_mode=""))))
    assert upload.may_commit  # as drafts they may be incomplete
    upload_commit(upload=upload, actor=alice, submit=True)
    before = Report.objects.count()

    assert upload_commit_run(upload_id=upload.pk) == "changed"

    assert Report.objects.count() == before
    assert UploadProblem.objects.get(upload=upload, kind=ProblemKind.ERROR).field == "transport_mode"


def test_the_problems_are_written_in_the_uploaders_language(alice):
    alice.language = "ru"
    alice.save()
    upload = send(alice, csv_bytes(csv_row("UP-1", unit="kgs")))
    assert upload_check(upload_id=upload.pk) == "checked"  # in a worker, where no request says the language
    [problem] = UploadProblem.objects.filter(upload=upload, kind=ProblemKind.ERROR)
    assert "'kgs' не является действующим кодом; используйте " in problem.message
    assert "KGM (килограмм)" in problem.message


def test_what_the_commit_says_is_in_the_committers_language(alice):
    upload = checked(send(alice, GOOD))
    upload_commit(upload=upload, actor=alice, submit=False)
    alice.language = "fr"
    alice.is_active = False  # left between the confirmation and the worker's commit
    alice.save()
    before = written()

    assert upload_commit_run(upload_id=upload.pk) == "refused"  # in a worker, where no request says the language
    assert (
        Upload.objects.get(pk=upload.pk).error
        == "La personne qui a validé cet import ne peut plus ajouter de rapports."
    )
    assert {key: value for key, value in written().items() if key != "uploads"} == {
        key: value for key, value in before.items() if key != "uploads"
    }  # nothing written but the upload's failure


def test_only_a_checked_upload_is_committed_and_only_once(alice):
    upload = send(alice, GOOD)
    with pytest.raises(Conflict):
        upload_commit(upload=upload, actor=alice, submit=False)
    upload = committed(checked(upload), alice)
    count = Report.objects.count()

    with pytest.raises(Conflict):
        upload_commit(upload=upload, actor=alice, submit=False)
    assert upload_commit_run(upload_id=upload.pk) == "not committing"
    assert Report.objects.count() == count


def test_another_administrations_upload_does_not_exist_for_them(alice, bob, cora, erin, dmitri):
    upload = checked(send(alice, GOOD))
    before = written()

    for stranger in (bob, erin, dmitri):
        with pytest.raises(NotFound):
            upload_get(user=stranger, uuid=upload.uuid)
        with pytest.raises(NotFound):
            upload_commit(upload=upload, actor=stranger, submit=False)
        with pytest.raises(NotFound):
            upload_cancel(upload=upload, actor=stranger)
        assert upload not in upload_list(user=stranger)
    assert written() == before
    # A colleague of the same administration who may add reports sees it and may commit it.
    assert upload_get(user=cora, uuid=upload.uuid) == upload
    assert list(upload_list(user=cora)) == [upload]


# --- cancel, restart -----------------------------------------------------------------------------------------


def test_a_cancelled_upload_is_never_written_and_its_file_is_deleted(
    alice, uploads_root, django_capture_on_commit_callbacks
):
    upload = checked(send(alice, GOOD))

    with django_capture_on_commit_callbacks(execute=True):
        upload_cancel(upload=upload, actor=alice)

    upload.refresh_from_db()
    assert upload.state == UploadState.CANCELLED and upload.file_name == ""
    assert stored_files(uploads_root) == []
    with pytest.raises(Conflict):
        upload_commit(upload=upload, actor=alice, submit=False)
    assert not Report.objects.filter(national_reference__startswith="UP-").exists()


def test_a_failed_upload_is_checked_again_from_its_file(alice, settings):
    settings.RILO_UPLOAD_MAX_ROWS = 2
    upload = send(alice, GOOD)
    upload_check(upload_id=upload.pk)
    settings.RILO_UPLOAD_MAX_ROWS = 200_000
    upload.refresh_from_db()

    restarted = upload_restart(upload=upload, actor=alice)

    assert restarted.state == UploadState.QUEUED and restarted.error == ""
    assert checked(restarted).new_reports == 2


# --- sweep and purge -----------------------------------------------------------------------------------------


def test_the_sweep_restarts_a_check_whose_worker_stopped_beating_then_gives_up(alice, settings):
    settings.RILO_UPLOADS_MAX_ATTEMPTS = 2
    upload = send(alice, GOOD)
    silent = timezone.now() - dt.timedelta(seconds=settings.RILO_UPLOADS_HEARTBEAT_TIMEOUT + 1)
    Upload.objects.filter(pk=upload.pk).update(state=UploadState.CHECKING, heartbeat_at=silent)

    assert upload_sweep()["restarted"] == 1
    upload.refresh_from_db()
    assert (upload.state, upload.attempts) == (UploadState.QUEUED, 1)

    Upload.objects.filter(pk=upload.pk).update(state=UploadState.CHECKING, heartbeat_at=silent)
    assert upload_sweep()["failed"] == 1
    upload.refresh_from_db()
    assert upload.state == UploadState.FAILED and "stopped 2 times" in upload.error


def test_the_sweep_asks_again_for_a_commit_no_worker_holds(alice, settings):
    upload = checked(send(alice, GOOD))
    upload_commit(upload=upload, actor=alice, submit=False)
    assert upload_sweep()["kicked"] == 0  # just asked for: a worker has its grace
    Upload.objects.filter(pk=upload.pk).update(kicked_at=timezone.now() - dt.timedelta(hours=1))

    assert upload_sweep()["kicked"] == 1

    upload.refresh_from_db()
    assert (upload.state, upload.attempts) == (UploadState.COMMITTING, 0)  # asked again: no worker stopped
    assert upload_commit_run(upload_id=upload.pk) == "committed"


def test_the_purge_deletes_files_past_their_retention_and_what_quotes_them(
    alice, uploads_root, django_capture_on_commit_callbacks
):
    kept = checked(send(alice, GOOD))
    old = checked(send(alice, csv_bytes(csv_row("UP-9", unit="kgs"))))
    Upload.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    orphan = uploads_root / "files" / "orphan.csv"
    orphan.write_bytes(b"x")
    import os

    an_hour_ago = (timezone.now() - dt.timedelta(hours=2)).timestamp()
    os.utime(orphan, (an_hour_ago, an_hour_ago))

    with django_capture_on_commit_callbacks(execute=True):
        assert upload_purge_expired() == {"files": 1, "orphans": 1}

    old.refresh_from_db()
    assert old.file_name == "" and old.file_purged_at is not None and old.preview == []
    assert not old.problems.exists() and old.rows_with_errors == 1  # the counts stay
    # The kept upload's file stays, with the reports its check kept for the commit.
    assert stored_files(uploads_root) == [f"files/{kept.uuid}.csv", f"files/{kept.uuid}.csv.checked"]


def test_every_field_of_the_uploads_models_is_tagged_personal_or_not():
    from django.apps import apps

    for model in apps.get_app_config("uploads").get_models():
        names = field_names(model)
        personal, non_personal = personal_fields(model), non_personal_fields(model)
        assert not personal & non_personal, model
        assert names - personal - non_personal == set(), f"{model.__name__}: untagged fields"
        assert (personal | non_personal) - names == set(), f"{model.__name__}: tags name no field"


# --- a workbook, and files with nothing to write -------------------------------------------------------------


def _workbook(tmp_path: Path, items: list[list[object]]) -> bytes:
    path = write_xlsx(
        tmp_path / "seizures.xlsx",
        {
            "Read me": [["Explanations"]],
            "Reports": [
                [
                    "National reference",
                    "Kind of case",
                    "Country of seizure",
                    "Date of seizure",
                    "Mode of transport",
                    "Detection methods",
                ],
                ["WB-1", "Seizure", "FR", dt.datetime(2025, 3, 14), 3, "XRAY"],
                ["WB-2", "Seizure", "FR", dt.datetime(2025, 3, 15), 3, "XRAY"],
            ],
            "Items": [["National reference", "Commodity category", "Commodity type", "Quantity", "Unit"], *items],
        },
    )
    return path.read_bytes()


def test_a_workbook_is_checked_cell_by_cell_and_a_formula_is_an_error_at_its_cell(alice, tmp_path):
    content = _workbook(tmp_path, [["WB-1", "", "cigarettes", 200000, "STK"], ["WB-2", "", "cocaine", "=2*6", "KGM"]])
    upload = checked(send(alice, content, name="seizures.xlsx"))
    before = written()

    assert upload.format == "xlsx" and upload.rows_with_errors == 1
    [error] = UploadProblem.objects.filter(upload=upload, kind=ProblemKind.ERROR)
    assert (error.sheet, error.row, error.column, error.field) == ("Items", 3, "D", "quantity")
    assert "formula" in error.message
    with pytest.raises(Conflict):
        upload_commit(upload=upload, actor=alice, submit=False)
    assert written() == before


def test_a_corrected_workbook_is_committed(alice, tmp_path):
    content = _workbook(tmp_path, [["WB-1", "", "cigarettes", 200000, "STK"], ["WB-2", "", "cocaine", 12, "KGM"]])

    upload = committed(checked(send(alice, content, name="seizures.xlsx")), alice)

    assert (upload.new_reports, upload.rows_written) == (2, 4)
    cocaine = Report.objects.get(national_reference="WB-2").items.get()
    assert (cocaine.quantity, cocaine.unit.code, cocaine.commodity_type.code) == (12, "KGM", "cocaine")


def test_a_file_of_headers_only_is_checked_with_an_error_and_has_nothing_to_commit(alice):
    upload = checked(send(alice, csv_bytes()))
    before = written()

    assert (upload.rows_read, upload.new_reports) == (0, 0)
    assert UploadProblem.objects.filter(upload=upload, kind=ProblemKind.ERROR).exists()
    assert not upload.may_commit
    with pytest.raises(Conflict):
        upload_commit(upload=upload, actor=alice, submit=False)
    assert written() == before
