"""Celery application: reads Django settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rilo.settings.local")

app = Celery("rilo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
