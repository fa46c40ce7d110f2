"""Celery application: reads Django settings under the CELERY_ namespace."""

import os
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rilo.settings.local")

app = Celery("rilo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(**kwargs: Any) -> None:
    """Around each task, drop connections that are broken or older than ``CONN_MAX_AGE``, as Django does per request."""
    from django.db import close_old_connections

    close_old_connections()


@after_setup_logger.connect
def quiet_routine_tasks(**kwargs: Any) -> None:
    """Celery's per-run lines of the tasks beat runs every few seconds at DEBUG (see apps.core.tasklog)."""
    from apps.core.tasklog import quiet_routine_tasks

    quiet_routine_tasks(app.conf.beat_schedule or {})
