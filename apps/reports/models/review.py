"""The workflow trail and the duplicate candidates shown to reviewers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.actor import Actor

from ..choices import ReportStatus, Transition
from .report import Report


class ReviewEvent(models.Model):
    """One workflow transition of a report: who, when, from which state to which, and why."""

    # Found by its report through the index (report, at): no index of its own.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="review_events", db_index=False)
    transition = models.CharField(max_length=16, choices=Transition.choices)
    from_status = models.CharField(max_length=16, choices=ReportStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ReportStatus.choices)
    version = models.PositiveIntegerField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True, help_text=_("Free text; treated as personal data."))
    # On an approval or a correction: the analyst ticked "Free text checked: no personal data" for
    # this version, so partners without personal data may receive its reviewable free text.
    free_text_checked = models.BooleanField(default=False, db_default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["report", "at", "pk"]
        indexes = [models.Index(fields=["report", "at"], name="reviewevent_report_at")]

    def __str__(self) -> str:
        return f"{self.get_transition_display()} {self.from_status or '-'} -> {self.to_status}"

    @classmethod
    def of(
        cls,
        report: Report,
        *,
        actor: Actor,
        transition: str,
        from_status: str,
        comment: str = "",
        free_text_checked: bool = False,
    ) -> ReviewEvent:
        """The (unsaved) event of ``report`` having just moved from ``from_status`` to its current state."""
        return cls(
            report=report,
            transition=transition,
            from_status=from_status,
            to_status=report.status,
            version=report.version,
            actor_id=actor.pk,
            comment=comment,
            free_text_checked=free_text_checked,
        )


class DuplicateCandidate(models.Model):
    """An earlier report that may describe the same seizure, found when ``report`` was submitted."""

    # Found by its report through the unique constraint's index (report, candidate): no index of its own.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="duplicate_candidates", db_index=False)
    candidate = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(default=list, help_text='Why it matched, e.g. ["date_country_commodity"].')
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["report", "candidate"]
        constraints = [
            models.UniqueConstraint(fields=["report", "candidate"], name="duplicatecandidate_unique"),
            models.CheckConstraint(
                name="duplicatecandidate_not_self", condition=~models.Q(report=models.F("candidate"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} ~ {self.candidate_id}"
