"""Quiet worker and beat logs: Celery's per-task lines for routine tasks go to DEBUG.

Beat runs a few tasks every couple of seconds (the exchange sweeper). At INFO, Celery writes three lines
per run ("Sending due task" in beat, "received" and "succeeded" in the worker) whether or not the run did
anything: a line every second that buries the ones that matter. A routine task is one beat schedules more
often than once a minute (read from ``CELERY_BEAT_SCHEDULE``, no list of its own); Celery's lines about
it are logged at DEBUG, and the task itself logs at INFO when it did some work. Other tasks, and every
warning or failure, keep their level.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

import psycopg
from django.db import DatabaseError

ROUTINE_BELOW_SECONDS = 60.0
# Celery's loggers of one line per task run: the worker's "received" and "succeeded", beat's "sending".
CELERY_TASK_LOGGERS = ("celery.worker.strategy", "celery.app.trace", "celery.beat")


def routine_tasks(schedule: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """Names of the tasks ``schedule`` (a beat schedule) runs more often than once a minute."""
    routine = set()
    for entry in schedule.values():
        every: Any = entry.get("schedule")
        seconds = every.total_seconds() if isinstance(every, dt.timedelta) else every
        if isinstance(seconds, int | float) and seconds < ROUTINE_BELOW_SECONDS:
            routine.add(str(entry["task"]))
    return frozenset(routine)


class RoutineTaskFilter(logging.Filter):
    """Turns an INFO record about a routine task into a DEBUG one (shown only where DEBUG is on)."""

    def __init__(self, tasks: Iterable[str]) -> None:
        super().__init__()
        self.tasks = frozenset(tasks)

    def _task_name(self, record: logging.LogRecord) -> str:
        data = getattr(record, "data", None)  # the worker's lines carry their context here
        if isinstance(data, Mapping):
            return str(data.get("name", ""))
        if isinstance(record.args, tuple) and len(record.args) == 2:  # beat: (entry name, task name)
            return str(record.args[1])
        return ""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or self._task_name(record) not in self.tasks:
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def quiet_routine_tasks(schedule: Mapping[str, Mapping[str, Any]]) -> RoutineTaskFilter:
    """Put the filter on Celery's per-task loggers (idempotent); returns it."""
    task_filter = RoutineTaskFilter(routine_tasks(schedule))
    for name in CELERY_TASK_LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, RoutineTaskFilter)]:
            logger.removeFilter(old)
        logger.addFilter(task_filter)
    return task_filter


def causes(error: BaseException | None) -> list[BaseException]:
    """``error`` and the whole chain behind it: what it was raised from, or while handling (a library may raise
    its own error while it cleans up after another: a statement stopped by a signal)."""
    chain: list[BaseException] = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def failure_logged(logger: logging.Logger, message: str, *args: Any) -> None:
    """Log the exception being handled, as ``logger.exception`` would, except a database error's own words:
    PostgreSQL's message, DETAIL and CONTEXT quote the values of the row written (a person's name, a vehicle's
    plate, from an uploaded file), and logs are no place for personal data. Its frames, class and SQLSTATE say
    what failed where."""
    error = sys.exc_info()[1]
    chain = causes(error)
    if not any(isinstance(cause, DatabaseError | psycopg.Error) for cause in chain):
        logger.exception(message, *args)
        return
    sqlstate = next((cause.sqlstate for cause in chain if isinstance(cause, psycopg.Error)), None)
    frames = "".join(traceback.format_tb(error.__traceback__ if error is not None else None))
    name = type(error).__qualname__
    logger.error(f"{message}\n%s%s (SQLSTATE %s; its message is not logged)", *args, frames, name, sqlstate)
