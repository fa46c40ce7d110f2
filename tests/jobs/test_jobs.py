"""Background jobs in one process: a job is its owner's alone, its file is offered only once complete and only
for RILO_JOBS_FILE_HOURS, a failure says why, and the export job checks its owner's rights again when it runs.

The job's service runs here as a worker would run it (the tests of test_worker.py run real workers)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import formats, timezone

from apps.audit.models import AuditEvent
from apps.jobs.choices import JobState
from apps.jobs.files import finished_path, for_writing, temporary_path
from apps.jobs.models import Job
from apps.jobs.services import job_create, job_purge_expired, job_run, job_sweep
from apps.reports.choices import ReportStatus
from apps.reports.export_jobs import KIND
from apps.reports.exports import neutralise
from tests.builders import build_report, cigarettes
from tests.factories import UserFactory
from tests.helpers import sign_in


def _export_job(owner, *, list_name: str = "reports", file_format: str = "csv", filters=None) -> Job:
    parameters = {"list": list_name, "format": file_format, "filters": filters or {}, "language": "en"}
    return job_create(kind=KIND, parameters=parameters, actor=owner)


def _client(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def finished(alice, france, jobs_root: Path) -> Job:
    build_report(by=france, reference="FR-1")
    build_report(by=france, reference="FR-2")
    job = _export_job(alice)
    assert job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    return job


def test_a_finished_job_offers_its_complete_file_to_its_owner(alice, finished):
    assert finished.state == JobState.DONE and finished.rows_done == finished.rows_total == 2
    client = _client(alice)
    page = client.get(f"/jobs/{finished.uuid}/").content.decode()
    assert f"/jobs/{finished.uuid}/file/" in page
    response = client.get(f"/jobs/{finished.uuid}/file/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="reports-')
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert sorted(row["National reference"] for row in rows) == ["FR-1", "FR-2"]
    assert finished.expires_at - finished.finished_at == dt.timedelta(hours=24)
    assert "My exports" in client.get("/jobs/").content.decode()


def test_the_export_job_and_the_download_of_its_personal_file_are_audited(alice, finished):
    export = AuditEvent.objects.get(actor=alice, action="report.export")
    assert export.detail["job"] == str(finished.uuid) and export.detail["personal_columns"] is True
    _client(alice).get(f"/jobs/{finished.uuid}/file/")
    download = AuditEvent.objects.get(actor=alice, action="job.download")
    assert download.detail == {"job": str(finished.uuid), "kind": KIND, "via": "session"}


def test_a_download_without_personal_columns_is_not_a_personal_data_read(bob, germany, jobs_root):
    bob.groups.first().permissions.remove(Permission.objects.get(codename="view_personal_data_report"))
    build_report(by=germany, reference="DE-1")
    job = _export_job(bob)
    job_run(job_id=job.pk)
    assert _client(bob).get(f"/jobs/{job.uuid}/file/").status_code == 200
    assert not AuditEvent.objects.filter(action="job.download").exists()


@pytest.mark.parametrize("persona", ["cora", "bob", "erin", "grace", "hugo", "farid"])
def test_nobody_but_its_owner_reaches_a_job_its_status_or_its_file(request, finished, persona):
    client = _client(request.getfixturevalue(persona))
    for path in ("", "status/", "file/"):
        assert client.get(f"/jobs/{finished.uuid}/{path}").status_code == 404, path
    assert str(finished.uuid) not in client.get("/jobs/").content.decode()


def test_not_even_a_superuser_reaches_another_users_job(finished, france):
    root = UserFactory.create(username="root", is_superuser=True, is_staff=True)
    client = _client(root)
    assert client.get(f"/jobs/{finished.uuid}/file/").status_code == 404
    assert client.get(f"/jobs/{finished.uuid}/").status_code == 404


def test_a_signed_out_visitor_is_sent_to_sign_in(finished):
    response = Client().get(f"/jobs/{finished.uuid}/file/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _shown(moment: dt.datetime) -> str:
    """``moment`` as the jobs' pages show it (local time, the language's short date and time)."""
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def test_an_expired_file_is_gone_with_a_page_saying_so_and_the_purge_deletes_it(alice, finished):
    path = finished_path(finished.file_name)
    assert path.exists()
    expired = timezone.now() - dt.timedelta(seconds=1)
    Job.objects.filter(pk=finished.pk).update(expires_at=expired)
    client = _client(alice)
    response = client.get(f"/jobs/{finished.uuid}/file/")
    assert response.status_code == 410
    assert f"kept until {_shown(expired)} and has been deleted" in response.content.decode()
    page = client.get(f"/jobs/{finished.uuid}/").content.decode()
    assert f"/jobs/{finished.uuid}/file/" not in page and f"kept until {_shown(expired)}" in page
    assert job_purge_expired() == {"files": 1, "jobs": 0}
    assert not path.exists()
    assert Job.objects.get(pk=finished.pk).file_name == ""


def test_the_pages_say_how_long_files_are_kept_from_the_setting(alice, settings, finished):
    settings.RILO_JOBS_FILE_HOURS = 6
    client = _client(alice)
    assert "Each file is kept 6 hours." in client.get("/jobs/").content.decode()
    page = client.get(f"/jobs/{finished.uuid}/").content.decode()
    assert f"Kept until {_shown(finished.expires_at)}, then deleted." in page
    settings.RILO_EXPORT_ROW_LIMIT = 1
    large = client.get("/reports/export.csv").content.decode()  # the fixture's two reports: above the limit
    assert "It is kept 6 hours." in large


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.RUNNING])
def test_the_file_of_a_job_not_finished_yet_sends_its_owner_to_the_job_page(alice, jobs_root, state):
    job = _export_job(alice)
    Job.objects.filter(pk=job.pk).update(state=state)
    response = _client(alice).get(f"/jobs/{job.uuid}/file/")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.uuid}/"


def test_looking_up_a_file_creates_no_directory(alice, finished, jobs_root):
    finished_path(finished.file_name).unlink()
    for directory in ("files", "tmp"):
        (jobs_root / directory).rmdir()
    assert _client(alice).get(f"/jobs/{finished.uuid}/file/").status_code == 410
    assert not finished_path("another.csv").exists() and not temporary_path(finished).exists()
    assert list(jobs_root.iterdir()) == []


def test_a_job_whose_owner_lost_the_right_to_export_fails_and_says_why(alice, france, jobs_root):
    build_report(by=france, reference="FR-1")
    job = _export_job(alice)
    alice.groups.first().permissions.remove(Permission.objects.get(codename="export_report"))
    alice = type(alice).objects.get(pk=alice.pk)  # permissions are cached on the instance
    assert job_run(job_id=job.pk) == "refused"
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "no longer export" in job.error
    assert job.file_name == "" and not temporary_path(job).exists()
    page = _client(alice).get(f"/jobs/{job.uuid}/").content.decode()
    assert "no longer export" in page and "/file/" not in page
    assert _client(alice).get(f"/jobs/{job.uuid}/file/").status_code == 410


def test_the_job_exports_only_what_its_owner_may_see(erin, france, kazakhstan, jobs_root):
    build_report(by=france, reference="FR-SUB")
    build_report(by=kazakhstan, reference="KZ-SUB")
    build_report(by=france, reference="FR-DRAFT", status=ReportStatus.DRAFT)
    job = _export_job(erin, list_name="review_queue")
    job_run(job_id=job.pk)
    job.refresh_from_db()
    text = finished_path(job.file_name).read_text()
    assert "FR-SUB" in text and "KZ-SUB" not in text and "FR-DRAFT" not in text


def test_the_jobs_csv_file_is_the_pages_download_byte_for_byte(alice, france, jobs_root):
    # Cells the page's CSV (PostgreSQL's COPY) and the job's (Python) must quote, leave empty and neutralise alike.
    places = [
        'Quai "Nord", Le Havre',
        "two\nlines",
        "a\rb",
        "=1+1",
        "\tcmd",
        "-2",
        "Zürich ☃",
        " spaced ",
        "@x",
        "x;=1",
    ]
    items = [cigarettes(brand="A, B")]
    for number, place in enumerate(places):
        build_report(by=france, reference=f"FR-{number}", place=place, customs_office="", items=items)
    job = _export_job(alice)
    assert job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    direct = b"".join(_client(alice).get("/reports/export.csv").streaming_content)  # type: ignore[attr-defined]
    assert finished_path(job.file_name).read_bytes() == direct
    assert b',"x;=1",' in direct and direct.startswith(b'"UUID","')  # every non-empty cell quoted, the header too
    rows = list(csv.DictReader(io.StringIO(direct.decode(), newline="")))
    assert sorted(row["Place"] for row in rows) == sorted(neutralise(place) for place in places)
    assert {row["Customs office"] for row in rows} == {""} and {row["Brands"] for row in rows} == {"A, B"}


def test_a_jobs_audit_event_records_the_filters_and_their_values_as_the_pages_download_does(
    alice, france, jobs_root, settings
):
    settings.RILO_AUDIT_EXPORT_LIST_MAX = 1  # beyond it the event keeps a count: its filters must say which reports
    for number in range(3):
        build_report(by=france, reference=f"FR-{number}")
    build_report(by=france, reference="FR-DRAFT", status=ReportStatus.DRAFT)
    filters = {"status": ["submitted", "approved"], "date_from": ["2000-01-01"], "date_to": [""], "page": ["2"]}
    job = _export_job(alice, filters=filters)
    assert job_run(job_id=job.pk) == "done"
    b"".join(_client(alice).get("/reports/export.csv", filters).streaming_content)  # type: ignore[attr-defined]
    job_event, page_event = AuditEvent.objects.filter(actor=alice, action="report.export").order_by("pk")
    expected = {"date_from": ["2000-01-01"], "status": ["submitted", "approved"]}
    assert job_event.detail["filters"] == page_event.detail["filters"] == expected
    assert job_event.detail["personal_reports_truncated"] and page_event.detail["personal_reports_count"] == 3


def test_a_job_runs_once_however_often_it_is_asked(alice, finished):
    assert job_run(job_id=finished.pk) == "not queued"


def test_the_sweep_fails_a_running_job_whose_heartbeat_stopped_and_deletes_its_partial_file(alice, settings, jobs_root):
    settings.RILO_JOBS_HEARTBEAT_TIMEOUT = 60
    job = _export_job(alice)
    silent = timezone.now() - dt.timedelta(seconds=61)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=silent, heartbeat_at=silent)
    partial = for_writing(temporary_path(job))
    partial.write_bytes(b"uuid,National reference\r\n")
    fresh = _export_job(alice, filters={"status": ["submitted"]})  # another export (the same would be this one)
    Job.objects.filter(pk=fresh.pk).update(state=JobState.RUNNING, heartbeat_at=timezone.now())
    assert job_sweep()["failed"] == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "stopped before it was finished" in job.error
    assert not partial.exists()
    assert Job.objects.get(pk=fresh.pk).state == JobState.RUNNING
