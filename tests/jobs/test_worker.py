"""Export jobs through real Celery workers (with beat) on a real Redis: a job above the limit yields the complete
file the page would have streamed; a worker killed while it writes leaves no file, and the sweep marks the
job failed."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.db import transaction
from django.test import Client

from apps.jobs.choices import JobState
from apps.jobs.files import finished_path, temporary_path
from apps.jobs.models import Job
from apps.jobs.services import job_create
from apps.reports.export_jobs import KIND
from bench.partners import wait_for
from tests.builders import build_report, cigarettes
from tests.exchange.processes import CeleryWorker
from tests.helpers import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WAIT = 60.0


def _state(job: Job, state: str, worker: CeleryWorker) -> Job:
    def reached() -> Job | None:
        current = Job.objects.get(pk=job.pk)
        return current if current.state == state else None

    try:
        return wait_for(reached, timeout=WAIT, message=f"the job did not become {state}")
    except AssertionError as error:
        current = Job.objects.get(pk=job.pk)
        raise AssertionError(f"{error}; it is {current.state} {current.error}\n{worker.log()[-4000:]}") from None


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_above_the_limit_runs_in_a_worker_and_yields_the_complete_file(
    alice, france, settings, jobs_root: Path, start_worker: Callable[..., CeleryWorker], file_format
):
    for number in range(12):
        build_report(by=france, reference=f"FR-{number:02d}", items=[cigarettes()] * (1 + number % 3))
    worker = start_worker(RILO_JOBS_ROOT=str(jobs_root), RILO_JOBS_PROGRESS_ROWS="1")
    client = Client()
    sign_in(client, alice)
    settings.RILO_EXPORT_ROW_LIMIT = 5

    started = client.post(f"/reports/export.{file_format}?status=submitted")
    job = Job.objects.get()
    assert started["Location"] == f"/jobs/{job.uuid}/"
    done = _state(job, JobState.DONE, worker)

    settings.RILO_EXPORT_ROW_LIMIT = 100
    direct = _body(client.get(f"/reports/export.{file_format}?status=submitted"))
    response = client.get(f"/jobs/{job.uuid}/file/")
    assert response.status_code == 200
    made = _body(response)
    assert done.rows_done == done.rows_total == 12
    if file_format == "csv":
        assert made == direct
    else:  # the archives' time stamps differ: compare the cells
        assert _cells(made) == _cells(direct)
        assert len(_cells(made)) == 13
    assert f"/jobs/{job.uuid}/file/" in client.get(f"/jobs/{job.uuid}/status/").content.decode()


def _cells(data: bytes) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheet: Any = book.active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_a_worker_killed_while_it_writes_leaves_no_file_and_the_sweep_fails_the_job(
    alice, france, jobs_root: Path, start_worker: Callable[..., CeleryWorker]
):
    for number in range(400):
        build_report(by=france, reference=f"FR-{number:04d}", place="Le Havre, quai " + "x" * 180)
    writer = start_worker(RILO_JOBS_ROOT=str(jobs_root), RILO_JOBS_PROGRESS_ROWS="10")
    parameters = {"list": "reports", "format": "csv", "filters": {}, "language": "en"}
    with transaction.atomic():
        job = job_create(kind=KIND, parameters=parameters, actor=alice)
        # The worker writes into a pipe this test reads from, a little, then no more: once the pipe is full the
        # worker is stuck half-way through the file, where it is killed.
        os.mkfifo(temporary_path(job))
    with temporary_path(job).open("rb") as pipe:
        assert pipe.read(4096)
        running = wait_for(
            lambda: Job.objects.filter(pk=job.pk, state=JobState.RUNNING, rows_done__gt=0).first(),
            timeout=WAIT,
            message="the job did not report progress",
        )
        assert 0 < running.rows_done < running.rows_total == 400
        writer.kill()
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING

    sweeper = start_worker(
        RILO_JOBS_ROOT=str(jobs_root), RILO_JOBS_HEARTBEAT_TIMEOUT="1", RILO_JOBS_SWEEP_SECONDS="0.5"
    )
    failed = _state(job, JobState.FAILED, sweeper)
    assert "stopped before it was finished" in failed.error
    assert not temporary_path(job).exists()
    assert failed.file_name == "" and not list(finished_path("x").parent.iterdir())
    client = Client()
    sign_in(client, alice)
    assert client.get(f"/jobs/{job.uuid}/file/").status_code == 410
    page = client.get(f"/jobs/{job.uuid}/").content.decode()
    assert "stopped before it was finished" in page and f"/jobs/{job.uuid}/file/" not in page
