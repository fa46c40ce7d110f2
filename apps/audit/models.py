"""Audit events: who did what, and who read personal data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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

    at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(
        max_length=64, db_index=True, help_text=_('e.g. "report.approve", "party.read".'), verbose_name=_("action")
    )
    object_type = models.CharField(
        max_length=64, help_text=_('"app_label.model", e.g. "reports.report".'), verbose_name=_("object type")
    )
    object_id = models.CharField(max_length=64, blank=True, verbose_name=_("object ID"))
    object_uuid = models.UUIDField(null=True, blank=True, db_index=True, verbose_name=_("object UUID"))
    administration = models.ForeignKey(
        Administration,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("administration"),
    )
    # Found by region through the index (region, at): no index of its own.
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("region"),
    )
    detail = models.JSONField(default=dict, blank=True, verbose_name=_("detail"))
    request_id = models.CharField(max_length=64, blank=True, verbose_name=_("request ID"))

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["region", "at"], name="auditevent_region_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"
