"""Forms being typed, kept on the server so nothing is lost to a validation error or an expired session."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The payload is whatever the user typed, so all of it may be personal.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {"FormDraft": frozenset({"user", "payload"})}
NON_PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "FormDraft": frozenset({"id", "key", "form", "report", "created_at", "updated_at", "closed_at"})
}


class FormDraft(models.Model):
    """The last state of one form a user was filling in (the POST payload as JSON lists).

    ``key`` identifies one form on one page (two browser tabs do not overwrite each other);
    ``report`` is the report being edited, or none for a new one. Only its user may read it back.
    Once the form is saved or discarded the draft is closed (its payload emptied), so an autosave
    request that was still on its way cannot bring it back.
    """

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="form_drafts")
    form = models.CharField(max_length=64, help_text='Which form, e.g. "reports.report".')
    report = models.ForeignKey(
        "reports.Report", null=True, blank=True, on_delete=models.CASCADE, related_name="form_drafts"
    )
    payload = models.JSONField(default=dict, help_text=_("Field name -> list of the values typed."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the form was saved or discarded; an autosave of it still in flight is then ignored."),
    )

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["user", "form", "report", "-updated_at"], name="formdraft_user_form")]

    def __str__(self) -> str:
        return f"{self.form} draft of user {self.user_id} ({self.updated_at:%Y-%m-%d %H:%M})"
