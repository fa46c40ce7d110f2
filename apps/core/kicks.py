"""Asking a worker to do something now, by task name, without ever holding the caller on the broker.

A kick is an optimisation: the work it asks for is already recorded in the database (an outbox row, a
mail row) and a beat-scheduled sweep does it anyway. So publishing does not retry, and a broker that is
down only costs a warning. Tasks are published through the project's Celery app by the name they are
registered under, so the caller imports no task module (no import cycle).
"""

from __future__ import annotations

import logging
from typing import Any

from rilo.celery import app

logger = logging.getLogger(__name__)


def task_kick(task_name: str, *args: Any, fallback: str) -> None:
    """Publish ``task_name(*args)``; if the broker cannot take it, log ``fallback`` (who will do it instead)."""
    try:
        # The project's app itself: Celery's current_app is per thread, and a thread that did not make the
        # app (a worker's pool thread, a web server's) would get an unconfigured default one.
        app.send_task(task_name, args=args, retry=False, ignore_result=True)
    except Exception as error:
        logger.warning("Could not queue %s%r (%s); %s.", task_name, args, error, fallback)
