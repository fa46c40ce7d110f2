"""What pages say about background jobs' files: how long they are kept (``RILO_JOBS_FILE_HOURS``)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def job_file_hours() -> int:
    """How many hours a finished job's file is offered before it is deleted (the setting, never a literal)."""
    return int(settings.RILO_JOBS_FILE_HOURS)
