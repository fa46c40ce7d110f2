"""How jobs are queued and kept: the jobs' sweep and purge never wait behind jobs, the sweep asks again for a
queued job once per grace (not on every sweep), an owner cannot queue exports without end, and a job's row
(its parameters hold filters as typed) is deleted RILO_JOBS_KEEP_DAYS after it was made."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from apps.core.exceptions import Conflict
from apps.jobs import task_names
from apps.jobs.choices import JobKind, JobState
from apps.jobs.files import finished_path
from apps.jobs.models import Job
from apps.jobs.services import job_create, job_purge_expired, job_run, job_sweep
from rilo.celery import app
from tests.builders import build_report
from tests.helpers import sign_in


def _export_job(owner, *, status: str = "") -> Job:
    filters = {"status": [status]} if status else {}
    parameters = {"list": "reports", "format": "csv", "filters": filters, "language": "en"}
    return job_create(kind=JobKind.REPORT_EXPORT, parameters=parameters, actor=owner)


def _queue(task_name: str, schedule_entry: str | None = None) -> str:
    """The queue a task is published to: the beat entry's explicit queue, else the task routes'."""
    if schedule_entry is not None:
        options = django_settings.CELERY_BEAT_SCHEDULE[schedule_entry].get("options", {})
        if "queue" in options:
            return options["queue"]
    route = app.amqp.router.route({}, task_name)
    return route["queue"].name


def test_jobs_run_on_their_queue_and_their_sweep_and_purge_on_the_default_one():
    assert _queue(task_names.RUN) == "jobs"
    assert _queue(task_names.SWEEP) == _queue(task_names.SWEEP, "jobs-sweep") == "default"
    assert _queue(task_names.PURGE_EXPIRED) == _queue(task_names.PURGE_EXPIRED, "jobs-purge-expired") == "default"


def test_the_sweep_asks_again_for_a_queued_job_once_per_grace_not_on_every_sweep(alice, settings):
    settings.RILO_JOBS_KICK_GRACE_SECONDS = 60
    job = _export_job(alice)
    assert job_sweep()["kicked"] == 0  # just made: its first request is on its way
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(seconds=61))
    assert job_sweep()["kicked"] == 1
    kicked_at = Job.objects.get(pk=job.pk).kicked_at
    assert kicked_at is not None
    assert job_sweep()["kicked"] == 0  # the next sweep, 30 s later in production: within the grace
    Job.objects.filter(pk=job.pk).update(kicked_at=kicked_at - dt.timedelta(seconds=61))
    assert job_sweep()["kicked"] == 1
    again = Job.objects.get(pk=job.pk).kicked_at
    assert again is not None and again > kicked_at


def test_asking_again_for_the_same_export_returns_the_job_already_queued(alice):
    first = _export_job(alice)
    assert _export_job(alice) == first
    assert _export_job(alice, status="submitted") != first
    assert Job.objects.filter(owner=alice).count() == 2


def test_the_same_export_once_finished_is_made_again(alice, france, jobs_root: Path):
    first = _export_job(alice)
    assert job_run(job_id=first.pk) == "done"
    assert _export_job(alice) != first


def test_an_owner_with_as_many_jobs_as_allowed_is_refused_another_until_one_finishes(alice, settings, jobs_root):
    settings.RILO_JOBS_ACTIVE_PER_OWNER = 2
    first = _export_job(alice, status="submitted")
    _export_job(alice, status="approved")
    with pytest.raises(Conflict, match="already have 2 exports waiting or running"):
        _export_job(alice, status="draft")
    assert _export_job(alice, status="approved") in Job.objects.all()  # the same one: no new job, no refusal
    Job.objects.filter(pk=first.pk).update(state=JobState.FAILED)
    assert _export_job(alice, status="draft").state == JobState.QUEUED
    assert Job.objects.filter(owner=alice).count() == 3


def test_the_limit_is_each_owners(alice, bob, settings):
    settings.RILO_JOBS_ACTIVE_PER_OWNER = 1
    _export_job(alice)
    assert _export_job(bob).owner == bob


def test_an_export_refused_for_too_many_jobs_is_a_page_saying_why(alice, settings):
    settings.RILO_JOBS_ACTIVE_PER_OWNER = 1
    client = Client()
    sign_in(client, alice)
    started = client.post("/reports/export.csv")
    assert started.status_code == 302
    assert client.post("/reports/export.csv").status_code == 302  # the same export: its job's page again
    response = client.post("/reports/export.xlsx")
    assert response.status_code == 409
    page = response.content.decode()
    assert "already have 1 export waiting or running" in page and "made in the background" in page
    assert 'role="alert"' in page and 'href="/jobs/"' in page and "My exports" in page
    assert "Someone else may have changed it" not in page
    assert Job.objects.filter(owner=alice).count() == 1


def test_the_purge_deletes_jobs_and_their_files_past_the_days_they_are_kept(alice, france, settings, jobs_root):
    settings.RILO_JOBS_KEEP_DAYS = 30
    build_report(by=france, reference="FR-1")
    old = _export_job(alice)
    job_run(job_id=old.pk)
    old.refresh_from_db()
    recent = _export_job(alice, status="submitted")
    Job.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30, seconds=1), expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    assert job_purge_expired() == {"files": 0, "jobs": 1}
    assert list(Job.objects.all()) == [recent]
    assert not finished_path(old.file_name).exists()
