"""Abstract base models shared by every domain app."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Which fields hold personal data: read by the exchange layer. A stored response may hold any.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {"IdempotencyRecord": frozenset({"response_body"})}


class TimeStampedModel(models.Model):
    """Adds creation and last-change timestamps."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class UUIDModel(models.Model):
    """Adds a stable, globally unique identifier, the identity partners see."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """One POST sent with an ``Idempotency-Key``, and the response it got.

    A retry by the same account with the same key and the same body gets the stored response
    instead of running the request again. ``response_status`` is empty while the first request
    runs (a duplicate then gets 409); ``locked_at`` starts that request's lease, after which a
    crashed attempt may be taken over. ``key`` holds the SHA-256 of the header value and the
    response body is encrypted with a key derived from the header value, so the table alone
    discloses neither (a token creation's response holds the token). Expired after
    ``RILO_IDEMPOTENCY_TTL_HOURS`` (``idempotency_purge_expired``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64, help_text=_("SHA-256 (hex) of the Idempotency-Key header."))
    method = models.CharField(max_length=10)
    path = models.TextField()
    request_hash = models.CharField(max_length=64, help_text=_("SHA-256 (hex) of the request body."))
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text=_("Encrypted response body."))
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    locked_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key[:8]})"

    @property
    def completed(self) -> bool:
        return self.response_status is not None
