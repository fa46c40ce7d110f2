"""States and kinds of background jobs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class JobKind(models.TextChoices):
    REPORT_EXPORT = "report_export", _("Report export")


# A job in one of these states is over: it never runs again, and its page stops refreshing.
FINISHED_STATES = frozenset({JobState.DONE, JobState.FAILED})
# A job in one of these states counts against its owner's RILO_JOBS_ACTIVE_PER_OWNER.
ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING})
