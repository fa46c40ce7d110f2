"""Files attached to a report: photos, X-ray images, documents."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .report import Report


def attachment_path(instance: Any, filename: str) -> str:
    """Stored under MEDIA_ROOT (outside the web root) by a random name: the original name may be personal."""
    return f"reports/{instance.report.uuid}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file attached to a report, content type sniffed from its bytes, served only through views."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255, help_text=_("As uploaded; may be personal."))
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=255, blank=True)
    contains_personal_data = models.BooleanField(
        default=True, help_text=_("Shown only to users entitled to personal data.")
    )
    shareable = models.BooleanField(default=False, help_text=_("May be forwarded to partners."))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.content_type} ({self.size} bytes)"
