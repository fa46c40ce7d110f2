"""The mail outbox: one row per message and recipient, written in the transaction of the act it tells about."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.languages import LANGUAGE_CODE_MAX_LENGTH

from .choices import MailState

# Which fields hold personal data (apps.core.personal). Mail is never exchanged; the address
# and the text (which may name the recipient) are personal all the same.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {"MailMessage": frozenset({"recipient", "subject", "body"})}


class MailMessage(models.Model):
    """One e-mail to one recipient, rendered when the act happened and sent by a worker after commit.

    A worker claims a due row (``pending`` and ``next_attempt_at`` passed, or ``sending`` with its lease
    ``claimed_until`` passed: the worker died) by a conditional update, so a row sent is never sent again.
    A failed attempt puts the row back to ``pending`` with a later ``next_attempt_at``; after
    ``RILO_MAIL_MAX_ATTEMPTS`` it is ``failed`` and shown in the admin. The body is emptied once sent
    (it may hold a one-time password link); sent rows are deleted after ``RILO_MAIL_RETENTION_DAYS``.
    """

    kind = models.CharField(
        max_length=64, help_text=_("The template the message was rendered from."), verbose_name=_("kind")
    )
    recipient = models.EmailField(max_length=254, verbose_name=_("recipient"))
    subject = models.CharField(max_length=998, verbose_name=_("subject"))
    body = models.TextField(blank=True, verbose_name=_("body"))
    language = models.CharField(
        max_length=LANGUAGE_CODE_MAX_LENGTH,
        blank=True,
        help_text=_("The language the message was rendered in."),
        verbose_name=_("language"),
    )
    state = models.CharField(
        max_length=16, choices=MailState.choices, default=MailState.PENDING, verbose_name=_("state")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    claimed_until = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed until"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("mail message")
        verbose_name_plural = _("mail messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="mail_due_idx",
                condition=models.Q(state__in=[MailState.PENDING, MailState.SENDING]),
            ),
            models.Index(fields=["state", "created_at"], name="mail_state_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient} ({self.state})"
