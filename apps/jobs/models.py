"""Background jobs: work too long for a web request (a large export, a bulk upload), run by a worker.

A job belongs to the user who started it, and only they see it. Its file is written under the private
``RILO_JOBS_ROOT`` (never served by the web server; downloaded only through a view that checks the owner),
first to a temporary name, and moved into place in the step that marks the job done: a job that stops
half-way never offers a partial file. Each download asks the job's kind whether its owner may still have the
file (their rights and post now); if not, the file is deleted (``withdrawn_at``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import FINISHED_STATES, JobKind, JobState
from .querysets import JobQuerySet

# The parameters hold a list's filters as typed (possibly a name); the error is ours, never personal data.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {"Job": frozenset({"owner", "parameters"})}
NON_PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "Job": frozenset(
        {
            "id",
            "uuid",
            "kind",
            "state",
            "rows_done",
            "rows_total",
            "error",
            "file_name",
            "download_name",
            "content_type",
            "personal_data",
            "created_at",
            "started_at",
            "heartbeat_at",
            "kicked_at",
            "finished_at",
            "expires_at",
            "owner_scope",
            "withdrawn_at",
        }
    )
}


class Job(models.Model):
    """One piece of background work a user asked for, its progress, and the file it made (for a while)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("UUID"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("owner")
    )
    kind = models.CharField(max_length=32, choices=JobKind.choices, verbose_name=_("kind"))
    parameters = models.JSONField(
        default=dict, blank=True, help_text=_("What the job is to do (per kind)."), verbose_name=_("parameters")
    )
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED, verbose_name=_("state"))
    rows_done = models.PositiveIntegerField(default=0, verbose_name=_("rows done"))
    rows_total = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("rows in all"))
    error = models.TextField(
        blank=True, help_text=_("Why the job failed, in words for its owner."), verbose_name=_("error")
    )
    file_name = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The finished file, relative to RILO_JOBS_ROOT; empty once deleted."),
        verbose_name=_("file name"),
    )
    download_name = models.CharField(max_length=200, blank=True, verbose_name=_("download name"))
    content_type = models.CharField(max_length=100, blank=True, verbose_name=_("content type"))
    personal_data = models.BooleanField(
        default=False, help_text=_("Whether the file holds personal data."), verbose_name=_("personal data")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Last sign of life of the running worker."), verbose_name=_("heartbeat at")
    )
    kicked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the sweep last asked a worker again for this queued job."),
        verbose_name=_("kicked at"),
    )
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The file is deleted after this."), verbose_name=_("expires at")
    )
    owner_scope = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("What of its owner the file depends on (their post when it was made): its kind's keeper compares."),
        verbose_name=_("owner's post"),
    )
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the file was deleted because its owner may no longer have it."),
        verbose_name=_("withdrawn at"),
    )

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="job_owner_created"),
            models.Index(fields=["state", "heartbeat_at"], name="job_state_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uuid} ({self.state})"

    # The states as templates and views ask for them (one definition: JobState, FINISHED_STATES).
    @property
    def is_queued(self) -> bool:
        return self.state == JobState.QUEUED

    @property
    def is_running(self) -> bool:
        return self.state == JobState.RUNNING

    @property
    def is_done(self) -> bool:
        return self.state == JobState.DONE

    @property
    def is_failed(self) -> bool:
        return self.state == JobState.FAILED

    @property
    def is_finished(self) -> bool:
        """Done or failed: the job never runs again."""
        return self.state in FINISHED_STATES
