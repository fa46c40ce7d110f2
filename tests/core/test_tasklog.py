"""Worker and beat logs stay quiet at INFO: an idle sweeper writes nothing there, work done is written."""

from __future__ import annotations

import logging

import pytest
from celery.app.trace import LOG_RECEIVED, LOG_SUCCESS
from django.conf import settings
from django.test import override_settings

from apps.core.tasklog import quiet_routine_tasks, routine_tasks
from apps.exchange.tasks import sweep
from tests.builders import approve, build_report

SWEEP = "apps.exchange.tasks.sweep"


@pytest.fixture
def quiet() -> None:
    quiet_routine_tasks(settings.CELERY_BEAT_SCHEDULE)


def _worker_lines(task: str) -> None:
    context = {"id": "abc", "name": task, "args": "()", "kwargs": "{}", "eta": None, "return_value": "None"}
    logging.getLogger("celery.worker.strategy").info(LOG_RECEIVED, context, extra={"data": context})
    logging.getLogger("celery.app.trace").info(LOG_SUCCESS, {**context, "runtime": 0.01}, extra={"data": context})
    logging.getLogger("celery.beat").info("Scheduler: Sending due task %s (%s)", "entry", task)


def test_the_tasks_beat_runs_every_few_seconds_are_the_routine_ones() -> None:
    routine = routine_tasks(settings.CELERY_BEAT_SCHEDULE)
    assert SWEEP in routine
    assert "core.purge_idempotency_records" not in routine


def test_celery_lines_about_the_sweeper_are_not_written_at_info(quiet: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    _worker_lines(SWEEP)
    assert not [record for record in caplog.records if record.name.startswith("celery")]


def test_celery_lines_about_the_sweeper_are_written_at_debug(quiet: None, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("celery.worker.strategy", "celery.app.trace", "celery.beat"):
        caplog.set_level(logging.DEBUG, logger=name)
    _worker_lines(SWEEP)
    assert [record.levelname for record in caplog.records] == ["DEBUG", "DEBUG", "DEBUG"]


def test_celery_lines_about_other_tasks_keep_their_level(quiet: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    _worker_lines("core.purge_idempotency_records")
    assert [record.levelname for record in caplog.records] == ["INFO", "INFO", "INFO"]


@pytest.mark.django_db
def test_an_idle_sweep_logs_at_debug_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    sweep()
    assert not [record for record in caplog.records if record.name == "apps.exchange.tasks"]


@pytest.mark.django_db
def test_a_sweep_that_fanned_out_an_event_says_so_at_info(france, caplog: pytest.LogCaptureFixture) -> None:
    approve(build_report(by=france, reference="SWEEP-1"))
    caplog.set_level(logging.INFO)
    with override_settings(RILO_EXCHANGE_KICK_GRACE_SECONDS=0):
        sweep()
    lines = [record for record in caplog.records if record.name == "apps.exchange.tasks"]
    assert [record.levelname for record in lines] == ["INFO"]
    assert "'fanned_out': 1" in lines[0].getMessage()
