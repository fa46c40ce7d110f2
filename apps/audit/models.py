"""Audit events: who did what, and who read personal data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.tenancy.models import Administration, Region

from .querysets import AuditEventQuerySet

# Which fields hold personal data: the actor identifies a person; ``detail`` never holds personal values.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {"AuditEvent": frozenset({"actor"})}
NON_PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "AuditEvent": frozenset(
        {
            "id",
            "at",
            "action",
            "object_type",
            "object_id",
            "object_uuid",
            "administration",
            "region",
            "detail",
            "request_id",
        }
    )
}


class AuditEvent(models.Model):
    """One recorded action: a workflow transition, a share, or a read of personal data.

    ``detail`` holds identifiers and codes only, never personal values. Rows are append-only.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True, help_text='e.g. "report.approve", "party.read".')
    object_type = models.CharField(max_length=64, help_text='"app_label.model", e.g. "reports.report".')
    object_id = models.CharField(max_length=64, blank=True)
    object_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    administration = models.ForeignKey(
        Administration, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["region", "at"], name="auditevent_region_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"
