"""States, formats and kinds of problems of bulk uploads."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.reports.choices import FormVariant

# The form variant of an upload, and of a template, when none is chosen: the pages' forms, the template download
# and the API alike. The full form, as for a report entered on the web.
DEFAULT_VARIANT = FormVariant.FULL


class UploadState(models.TextChoices):
    QUEUED = "queued", _("Waiting to be checked")
    CHECKING = "checking", _("Being checked")
    # What a checked upload allows (commit it, or correct the file) is said by Upload.state_label.
    CHECKED = "checked", _("Checked")
    COMMITTING = "committing", _("Being written")
    COMMITTED = "committed", _("Written")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class UploadFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel workbook (XLSX)")
    CSV = "csv", _("CSV")


class ProblemKind(models.TextChoices):
    ERROR = "error", _("Error")
    DUPLICATE = "duplicate", _("Possible duplicate")


# An upload in one of these states never runs again: its page stops refreshing.
FINISHED_STATES = frozenset({UploadState.COMMITTED, UploadState.FAILED, UploadState.CANCELLED})
# A worker is (or is about to be) busy with an upload in one of these states: the page refreshes.
WORKING_STATES = frozenset({UploadState.QUEUED, UploadState.CHECKING, UploadState.COMMITTING})
# An upload may be cancelled until its commit starts.
CANCELLABLE_STATES = frozenset({UploadState.QUEUED, UploadState.CHECKING, UploadState.CHECKED})
# An upload that failed may be checked again from its stored file.
RESTARTABLE_STATES = frozenset({UploadState.FAILED})
