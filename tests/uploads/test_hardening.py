"""Hostile and stale uploads: what a cancelled or expired upload keeps of the file's cells, and who a check runs
as once the sender has changed administration or left."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from apps.reports.models import Report
from apps.uploads.choices import ProblemKind, UploadState
from apps.uploads.housekeeping import upload_purge_expired
from apps.uploads.models import Upload, UploadProblem
from apps.uploads.services import upload_cancel, upload_check
from tests.builders import vocabulary

from .engine import csv_bytes, csv_row, send

pytestmark = pytest.mark.django_db

PERSONAL = csv_bytes(csv_row("UP-1", description="Hidden by Jean Dupont, born 1970"), csv_row("UP-2", unit="kgs"))


@pytest.fixture(autouse=True)
def uploads_root(settings, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()
    return Path(settings.RILO_UPLOADS_ROOT)


def test_a_cancelled_upload_keeps_nothing_of_the_files_cells(alice, django_capture_on_commit_callbacks):
    upload = send(alice, PERSONAL)
    assert upload_check(upload_id=upload.pk) == "checked"
    upload.refresh_from_db()
    assert upload.preview and UploadProblem.objects.filter(upload=upload).exists()

    with django_capture_on_commit_callbacks(execute=True):
        upload_cancel(upload=upload, actor=alice)

    upload.refresh_from_db()
    assert upload.state == UploadState.CANCELLED and upload.preview == []
    assert not UploadProblem.objects.filter(upload=upload).exists()
    assert upload.rows_with_errors == 1  # the counts stay


def test_the_purge_clears_what_an_expired_upload_still_quotes_once_its_file_is_gone(alice):
    # An upload whose file went earlier (a cancel of an older version) but whose preview and problems stayed.
    upload = send(alice, PERSONAL)
    assert upload_check(upload_id=upload.pk) == "checked"
    Upload.objects.filter(pk=upload.pk).update(
        state=UploadState.CANCELLED, file_name="", file_purged_at=timezone.now() - dt.timedelta(days=400)
    )
    kept = send(alice, PERSONAL)
    assert upload_check(upload_id=kept.pk) == "checked"
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - dt.timedelta(days=365))

    assert upload_purge_expired()["files"] == 0  # no file left to delete

    upload.refresh_from_db()
    assert upload.preview == [] and not UploadProblem.objects.filter(upload=upload).exists()
    kept.refresh_from_db()  # not expired: untouched
    assert kept.preview and UploadProblem.objects.filter(upload=kept).exists()


@pytest.mark.parametrize("change", ["moved", "deactivated"])
def test_a_check_fails_when_its_sender_may_no_longer_add_reports_for_the_administration(alice, germany, change):
    upload = send(alice, PERSONAL)
    if change == "moved":
        alice.administration = germany
    else:
        alice.is_active = False
    alice.save()

    assert upload_check(upload_id=upload.pk) == "refused"

    upload.refresh_from_db()
    assert upload.state == UploadState.FAILED and "may no longer add reports" in upload.error
    assert upload.preview == [] and not UploadProblem.objects.filter(upload=upload).exists()
    assert not Report.objects.filter(national_reference__startswith="UP-").exists()


@pytest.mark.parametrize("field", ["description", "unit"])
def test_a_nul_character_in_a_csv_cell_is_an_error_at_that_cell_and_nothing_is_written(alice, field):
    # A NUL cannot be stored as text (PostgreSQL refuses it): it is an error of its cell, like any other value.
    # Deep in the file: the format is told by the file's head, which has none.
    rows = [csv_row(f"NUL-{number}") for number in range(2, 1000)]
    body = csv_bytes(*rows, csv_row("NUL-1", **{field: "Hidden\x00in a bag"}))
    assert body.index(b"\x00") > 64 * 1024
    upload = send(alice, body)

    assert upload_check(upload_id=upload.pk) == "checked"

    upload.refresh_from_db()
    errors = list(UploadProblem.objects.filter(upload=upload, kind=ProblemKind.ERROR))
    assert [(error.national_reference, error.field, error.column) for error in errors] == [("NUL-1", field, field)]
    assert "NUL character" in errors[0].message
    assert upload.rows_with_errors == 1 and upload.new_reports == len(rows)
    assert not Report.objects.filter(national_reference__startswith="NUL-").exists()


def test_a_nul_character_in_a_csv_header_is_a_problem_of_the_file_not_a_failed_check(alice):
    # A byte-order mark first: the file's head is not searched for NUL bytes (UTF-8 with a mark is text).
    header, row = csv_bytes(csv_row("NUL-H1")).decode().split("\r\n", 1)
    body = ("\ufeff" + header + ";Note\x00s\r\n" + row.rstrip("\r\n") + ";x\r\n").encode()
    upload = send(alice, body)

    assert upload_check(upload_id=upload.pk) == "checked"

    [problem] = UploadProblem.objects.filter(upload=upload, kind=ProblemKind.ERROR)
    assert problem.column == "Note\ufffds" and "Unknown column" in problem.message
