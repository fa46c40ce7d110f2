"""Choice lists of the exchange app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Letting personal data go to a partner (its flag, a policy version carrying it): a capability of its own.
PERSONAL_DATA_CAPABILITY = "exchange.allow_personal_data_partnersystem"


class AdapterKind(models.TextChoices):
    WEBHOOK = "webhook", "JSON webhook (Standard Webhooks)"
    TAXII = "taxii", "STIX 2.1 over TAXII 2.1"


class PartnerState(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused (deliveries held)"
    DISABLED = "disabled", "Disabled"


class EventType(models.TextChoices):
    APPROVED = "approved", "Approved"
    CORRECTED = "corrected", "Corrected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class DeliveryMode(models.TextChoices):
    REPORT = "report", "Report (fields allowed by the policy)"
    TOMBSTONE = "tombstone", "Tombstone (withdrawn, or no longer shared)"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_FLIGHT = "in_flight", "In flight"
    SUCCEEDED = "succeeded", "Succeeded"
    DUPLICATE = "duplicate", "Duplicate acknowledged"
    RETRY = "retry", "Waiting to retry"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    DEAD = "dead", "Dead (retry schedule exhausted)"
    SKIPPED_BY_POLICY = "skipped_by_policy", "Skipped by policy"
    PARTNER_DISABLED = "partner_disabled", "Partner disabled"


# A delivery in one of these states may still be sent.
OPEN_STATES = frozenset({DeliveryState.PENDING, DeliveryState.RETRY, DeliveryState.IN_FLIGHT})
# A message in one of these states can be sent again on request; one still pending (not sent yet,
# e.g. held by an embargo) goes out when it is due, and one in flight is being sent.
REPLAYABLE_STATES = (
    DeliveryState.SUCCEEDED,
    DeliveryState.DUPLICATE,
    DeliveryState.RETRY,
    DeliveryState.NEEDS_ATTENTION,
    DeliveryState.DEAD,
    DeliveryState.PARTNER_DISABLED,
)

# The partner got (or may have got) the message: a later withdrawal must reach it.
REACHED_STATES = frozenset(
    {
        DeliveryState.PENDING,
        DeliveryState.IN_FLIGHT,
        DeliveryState.SUCCEEDED,
        DeliveryState.DUPLICATE,
        DeliveryState.RETRY,
        DeliveryState.NEEDS_ATTENTION,
        DeliveryState.DEAD,
    }
)


class AttemptOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    DUPLICATE = "duplicate", "Duplicate acknowledged"
    RETRY = "retry", "Retry"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    GONE = "gone", "Partner gone (410)"
    REFUSED = "refused", "Refused before sending"
    LEASE_EXPIRED = "lease_expired", "Worker lost during the attempt"


class Generalisation(models.TextChoices):
    MONTH = "month", "Date to month"
    COUNTRY = "country", "Place to country"
    BUCKET = "bucket", "Quantity to order-of-magnitude bucket"


class AgreementStatus(models.TextChoices):
    """Where a cross-region agreement stands (derived from its decision and revocation)."""

    REQUESTED = "requested", _("Asked, awaiting a decision")
    APPROVED = "approved", _("In force")
    REFUSED = "refused", _("Refused")
    REVOKED = "revoked", _("Revoked")
