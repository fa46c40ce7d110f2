"""Bulk uploads: a spreadsheet of an administration's reports, checked cell by cell, then committed whole.

An upload belongs to the administration of the user who sent it (never one taken from input) and is seen by
the users of that administration who may add reports (:mod:`apps.uploads.querysets`). Its file is stored under
the private ``RILO_UPLOADS_ROOT`` (never served by the web server) for ``RILO_UPLOADS_KEEP_DAYS``, then deleted
(``file_purged_at``). A worker checks it (``rows_read``/``rows_checked``, the counts, the problems and a
preview), the officer commits it, and a worker writes every report in one transaction (``rows_written``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from apps.reports.choices import FormVariant
from apps.tenancy.models import Administration

from .choices import (
    CANCELLABLE_STATES,
    DEFAULT_VARIANT,
    FINISHED_STATES,
    RESTARTABLE_STATES,
    ProblemKind,
    UploadFormat,
    UploadState,
)
from .querysets import UploadProblemQuerySet, UploadQuerySet

# The file's name may name a person; the preview and the problems' messages quote cells (parties' names among
# them). Everything else is counts, states, codes and times.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "Upload": frozenset({"uploaded_by", "committed_by", "original_name", "preview"}),
    "UploadProblem": frozenset({"message"}),
}
NON_PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "Upload": frozenset(
        {
            "id",
            "uuid",
            "administration",
            "file_name",
            "size",
            "sha256",
            "format",
            "encoding",
            "detected_encoding",
            "separator",
            "variant",
            "state",
            "rows_read",
            "rows_checked",
            "rows_written",
            "rows_total",
            "new_reports",
            "drafts_updated",
            "rows_with_errors",
            "duplicate_candidates",
            "submit_for_review",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "heartbeat_at",
            "kicked_at",
            "checked_at",
            "committed_at",
            "finished_at",
            "expires_at",
            "file_purged_at",
        }
    ),
    "UploadProblem": frozenset(
        {"id", "upload", "kind", "sheet", "row", "column", "field", "national_reference", "personal"}
    ),
}


class Upload(models.Model):
    """One spreadsheet of reports sent by a user of an administration, its checking, and its commit."""

    uuid = models.UUIDField(_("UUID"), default=uuid.uuid4, unique=True, editable=False)
    administration = models.ForeignKey(
        Administration, verbose_name=_("administration"), on_delete=models.PROTECT, related_name="uploads"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="uploads"
    )
    file_name = models.CharField(
        _("stored file"),
        max_length=200,
        blank=True,
        help_text=_("The stored file, relative to RILO_UPLOADS_ROOT; empty once purged."),
    )
    original_name = models.CharField(_("file name"), max_length=255, help_text=_("The file's name as sent."))
    size = models.PositiveBigIntegerField(_("size"), default=0, help_text=_("Bytes."))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=UploadFormat.choices)
    encoding = models.CharField(
        _("encoding chosen"),
        max_length=32,
        blank=True,
        help_text=_("CSV: the encoding the sender chose (empty: detected); every reading of the file uses it."),
    )
    detected_encoding = models.CharField(
        _("encoding read"),
        max_length=32,
        blank=True,
        help_text=_("CSV: the codec the check read the file with (that of the encoding chosen, or detected)."),
    )
    separator = models.CharField(_("separator"), max_length=4, blank=True, help_text=_("CSV: the separator detected."))
    variant = models.CharField(_("form"), max_length=16, choices=FormVariant.choices, default=DEFAULT_VARIANT)
    state = models.CharField(_("state"), max_length=16, choices=UploadState.choices, default=UploadState.QUEUED)

    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)

    new_reports = models.PositiveIntegerField(_("new reports"), default=0)
    drafts_updated = models.PositiveIntegerField(_("drafts updated"), default=0)
    rows_with_errors = models.PositiveIntegerField(_("rows with errors"), default=0)
    duplicate_candidates = models.PositiveIntegerField(_("possible duplicates"), default=0)
    preview = models.JSONField(
        _("preview"),
        default=list,
        blank=True,
        help_text=_("The first reports as they will be stored (their values as text)."),
    )
    submit_for_review = models.BooleanField(
        _("submit for review"),
        default=False,
        help_text=_("Chosen at commit: the reports are submitted for review, not left as drafts."),
    )
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("committed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    error = models.TextField(_("error"), blank=True, help_text=_("Why the upload failed, in words for its sender."))
    attempts = models.PositiveSmallIntegerField(
        _("restarts"),
        default=0,
        help_text=_("How many times the sweep started the check or the commit again after its worker died."),
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(
        _("started"), null=True, blank=True, help_text=_("When a worker last started on it.")
    )
    heartbeat_at = models.DateTimeField(
        _("last sign of life"), null=True, blank=True, help_text=_("Last sign of life of the worker on it.")
    )
    kicked_at = models.DateTimeField(
        _("last asked again"), null=True, blank=True, help_text=_("When the sweep last asked a worker again.")
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    committed_at = models.DateTimeField(_("committed"), null=True, blank=True)
    finished_at = models.DateTimeField(
        _("finished"), null=True, blank=True, help_text=_("Committed, failed or cancelled.")
    )
    expires_at = models.DateTimeField(
        _("file kept until"), null=True, blank=True, help_text=_("The stored file is deleted after this.")
    )
    file_purged_at = models.DateTimeField(_("file deleted"), null=True, blank=True)

    objects = UploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["administration", "-created_at"], name="upload_admin_created"),
            models.Index(fields=["state", "heartbeat_at"], name="upload_state_heartbeat"),
        ]

    def __str__(self) -> str:
        # Not the file's name: it may name a person, and this is what the admin and its log show of an upload.
        return f"{self.uuid} ({self.state})"

    @property
    def is_finished(self) -> bool:
        """Committed, failed or cancelled: no worker runs it again (a failed one may be restarted)."""
        return self.state in FINISHED_STATES

    @property
    def is_checked(self) -> bool:
        return self.state == UploadState.CHECKED

    @property
    def may_commit(self) -> bool:
        """Checked without errors, with something to write, and its file still kept (the commit reads it)."""
        return (
            self.is_checked
            and self.rows_with_errors == 0
            and (self.new_reports + self.drafts_updated) > 0
            and bool(self.file_name)
        )

    @property
    def state_label(self) -> str:
        """The state in words for the officer, saying for a checked upload what they can do with it: commit it,
        or correct the file and upload it again (the state's own label says only "Checked")."""
        if self.state != UploadState.CHECKED:
            return str(self.get_state_display())
        if self.rows_with_errors:
            return ngettext(
                "Checked: %(count)s row with errors, correct the file and upload it again",
                "Checked: %(count)s rows with errors, correct the file and upload it again",
                self.rows_with_errors,
            ) % {"count": number_format(self.rows_with_errors, force_grouping=True)}
        if not (self.new_reports or self.drafts_updated):
            return gettext("Checked: nothing to write")
        if not self.file_name:
            return gettext("Checked: the file is no longer kept, upload it again")
        return gettext("Checked: ready to commit")

    @property
    def may_cancel(self) -> bool:
        return self.state in CANCELLABLE_STATES

    @property
    def may_restart(self) -> bool:
        return self.state in RESTARTABLE_STATES and bool(self.file_name)


class UploadProblem(models.Model):
    """One problem of an upload, at its cell: an error (the upload cannot be committed) or a possible duplicate
    (flagged, not refused). ``sheet``/``row``/``column`` name the cell as the file shows it."""

    upload = models.ForeignKey(Upload, verbose_name=_("upload"), on_delete=models.CASCADE, related_name="problems")
    kind = models.CharField(_("kind"), max_length=16, choices=ProblemKind.choices, default=ProblemKind.ERROR)
    sheet = models.CharField(_("sheet"), max_length=64, blank=True)
    row = models.PositiveIntegerField(_("row"), null=True, blank=True, help_text=_("1-based, as the file shows it."))
    column = models.CharField(
        _("column"), max_length=128, blank=True, help_text=_("A column letter, or a CSV column's header.")
    )
    field = models.CharField(
        _("field"), max_length=64, blank=True, help_text=_("The report field, when the problem has one.")
    )
    national_reference = models.CharField(_("national reference"), max_length=64, blank=True)
    message = models.TextField(_("message"), help_text=_("What is wrong and what to do, in the sender's words."))
    personal = models.BooleanField(
        _("personal"),
        default=False,
        help_text=_("Found by personal data, which its message names: shown only to a user who may see it."),
    )

    objects = UploadProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("upload problem")
        verbose_name_plural = _("upload problems")
        ordering = ["upload", "pk"]
        indexes = [models.Index(fields=["upload", "kind"], name="uploadproblem_upload_kind")]

    def __str__(self) -> str:
        return f"{self.sheet}!{self.column}{self.row}: {self.message}"
