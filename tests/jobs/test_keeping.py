"""A finished job's file is its owner's only while they may still have it (rights, post, account: checked on
every download, the file deleted otherwise); no file outlives the job that names it; the job's page stops
refreshing itself after RILO_JOBS_POLL_SECONDS, and a job queued too long is failed saying why."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from apps.jobs.choices import JobState
from apps.jobs.files import finished_path, for_writing
from apps.jobs.models import Job
from apps.jobs.services import job_create, job_offers_file, job_purge_expired, job_run, job_sweep
from apps.reports.export_jobs import KIND
from tests.builders import build_report
from tests.helpers import sign_in


def _export_job(owner, *, status: str = "") -> Job:
    filters = {"status": [status]} if status else {}
    parameters = {"list": "reports", "format": "csv", "filters": filters, "language": "en"}
    return job_create(kind=KIND, parameters=parameters, actor=owner)


def _client(user, *, verified: bool | None = None) -> Client:
    client = Client()
    sign_in(client, user, verified=verified)
    return client


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # permissions are cached on the instance


@pytest.fixture
def finished(alice, france, jobs_root: Path) -> Job:
    build_report(by=france, reference="FR-1")
    job = _export_job(alice)
    assert job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert job.personal_data and finished_path(job.file_name).exists()
    return job


def _assert_withdrawn(client: Client, job: Job) -> None:
    path = finished_path(job.file_name)
    response = client.get(f"/jobs/{job.uuid}/file/")
    assert response.status_code == 410 and not response.streaming
    assert "no longer available to you" in response.content.decode()
    assert not path.exists()
    job.refresh_from_db()
    assert job.file_name == "" and job.withdrawn_at is not None
    page = client.get(f"/jobs/{job.uuid}/").content.decode()
    assert f"/jobs/{job.uuid}/file/" not in page and "no longer available to you" in page


def test_the_file_is_not_served_once_its_owner_lost_the_export_and_personal_data_rights(alice, finished):
    client = _client(alice)
    alice.groups.first().permissions.remove(
        *Permission.objects.filter(codename__in=["view_personal_data_report", "export_report"])
    )
    response = client.get(f"/jobs/{finished.uuid}/file/")
    assert response.status_code != 200 and not response.streaming
    _assert_withdrawn(client, finished)


def test_a_file_with_personal_columns_is_withdrawn_once_its_owner_lost_the_personal_data_right(alice, finished):
    alice.groups.first().permissions.remove(Permission.objects.get(codename="view_personal_data_report"))
    _assert_withdrawn(_client(alice), finished)


def test_the_file_is_withdrawn_once_its_owner_moved_to_another_administration(alice, germany, finished):
    client = _client(alice)
    type(alice).objects.filter(pk=alice.pk).update(administration=germany)
    _assert_withdrawn(client, finished)


def test_the_file_is_withdrawn_once_its_owners_role_changed(alice, finished):
    client = _client(alice, verified=True)  # a coordinator signs in with a second factor
    type(alice).objects.filter(pk=alice.pk).update(role="national_coordinator")
    _assert_withdrawn(client, finished)


def test_the_file_is_withdrawn_once_its_owner_moved_to_another_region(erin, france, region_cis, jobs_root):
    build_report(by=france, reference="FR-1")
    parameters = {"list": "review_queue", "format": "csv", "filters": {}, "language": "en"}
    job = job_create(kind=KIND, parameters=parameters, actor=erin)
    assert job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    client = _client(erin, verified=True)
    assert client.get(f"/jobs/{job.uuid}/file/").status_code == 200
    type(erin).objects.filter(pk=erin.pk).update(region=region_cis)
    _assert_withdrawn(client, job)


def test_a_deactivated_owner_gets_no_file_and_the_file_is_deleted(alice, finished):
    client = _client(alice)
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    response = client.get(f"/jobs/{finished.uuid}/file/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]  # signed out
    path = finished_path(finished.file_name)
    assert not job_offers_file(job=finished, actor=_fresh(alice))
    assert not path.exists() and Job.objects.get(pk=finished.pk).withdrawn_at is not None


def test_an_owner_whose_rights_and_post_are_unchanged_keeps_the_file(alice, finished):
    client = _client(alice)
    assert client.get(f"/jobs/{finished.uuid}/file/").status_code == 200
    assert f"/jobs/{finished.uuid}/file/" in client.get("/jobs/").content.decode()
    assert Job.objects.get(pk=finished.pk).owner_scope == {
        "role": alice.role,
        "administration": alice.administration_id,
        "region": None,
    }


def test_the_purge_deletes_finished_files_no_done_job_names(alice, settings, finished, jobs_root):
    settings.RILO_JOBS_HEARTBEAT_TIMEOUT = 60
    # A worker stopped between moving its file into place and committing: the job still running, its row
    # naming no file.
    stopped = _export_job(alice, status="submitted")
    Job.objects.filter(pk=stopped.pk).update(state=JobState.RUNNING)
    orphan = for_writing(finished_path(f"{stopped.uuid}.csv"))
    orphan.write_bytes(b"uuid,National reference\r\n")
    stray = finished_path("0a5a1a46-3b4b-4c4b-9c2c-3f0e7e6e4d11.xlsx")
    stray.write_bytes(b"left by a job since deleted")
    just_moved = finished_path("6f1c2b7e-1d2a-4c3b-8e4f-5a6b7c8d9e0f.csv")
    just_moved.write_bytes(b"a commit on its way")
    long_ago = time.time() - 61
    for path in (orphan, stray):
        os.utime(path, (long_ago, long_ago))
    kept = finished_path(finished.file_name)
    os.utime(kept, (long_ago, long_ago))
    assert job_purge_expired() == {"files": 2, "jobs": 0}
    assert not orphan.exists() and not stray.exists()
    assert kept.exists() and just_moved.exists()


def test_the_sweep_deletes_the_file_a_stopped_worker_moved_into_place_but_never_recorded(alice, settings, jobs_root):
    settings.RILO_JOBS_HEARTBEAT_TIMEOUT = 60
    job = _export_job(alice)
    silent = timezone.now() - dt.timedelta(seconds=61)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=silent, heartbeat_at=silent)
    moved = for_writing(finished_path(f"{job.uuid}.csv"))
    moved.write_bytes(b"uuid,National reference\r\n")
    assert job_sweep()["failed"] == 1
    assert not moved.exists()


def test_the_job_page_stops_refreshing_itself_after_the_bound_and_offers_a_refresh_link(alice, settings, jobs_root):
    settings.RILO_JOBS_POLL_SECONDS = 15 * 60
    job = _export_job(alice)
    client = _client(alice)
    page = client.get(f"/jobs/{job.uuid}/").content.decode()
    assert 'hx-trigger="every 2s"' in page and f"/jobs/{job.uuid}/status/?opened=" in page
    recent = int(time.time()) - 60
    fragment = client.get(f"/jobs/{job.uuid}/status/", {"opened": recent}).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and f"?opened={recent}" in fragment
    for opened in (int(time.time()) - 15 * 60 - 1, "", "soon"):
        fragment = client.get(f"/jobs/{job.uuid}/status/", {"opened": opened}).content.decode()
        assert "hx-trigger" not in fragment and "hx-get" not in fragment, opened
        assert "no longer refreshes itself" in fragment and f'href="/jobs/{job.uuid}/"' in fragment


def test_the_sweep_fails_a_job_queued_longer_than_the_setting_saying_why(alice, settings, jobs_root):
    settings.RILO_JOBS_QUEUED_HOURS = 6
    stale = _export_job(alice)
    waiting = _export_job(alice, status="submitted")
    Job.objects.filter(pk=stale.pk).update(created_at=timezone.now() - dt.timedelta(hours=6, seconds=1))
    Job.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - dt.timedelta(hours=5))
    assert job_sweep()["timed_out"] == 1
    stale.refresh_from_db()
    assert stale.state == JobState.FAILED and stale.finished_at is not None
    assert "waited more than 6 hours for a worker" in stale.error
    assert Job.objects.get(pk=waiting.pk).state == JobState.QUEUED
    assert job_run(job_id=stale.pk) == "not queued"
    page = _client(alice).get(f"/jobs/{stale.uuid}/").content.decode()
    assert "waited more than 6 hours" in page and "hx-get" not in page
