"""Choice lists of the exchange app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Letting personal data go to a partner (its flag, a policy version carrying it): a capability of its own.
PERSONAL_DATA_CAPABILITY = "exchange.allow_personal_data_partnersystem"


class AdapterKind(models.TextChoices):
    WEBHOOK = "webhook", _("JSON webhook (Standard Webhooks)")
    TAXII = "taxii", _("STIX 2.1 over TAXII 2.1")


class PartnerState(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused (deliveries held)")
    DISABLED = "disabled", _("Disabled")


class EventType(models.TextChoices):
    APPROVED = "approved", _("Approved")
    CORRECTED = "corrected", _("Corrected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class DeliveryMode(models.TextChoices):
    REPORT = "report", _("Report (fields allowed by the policy)")
    TOMBSTONE = "tombstone", _("Tombstone (withdrawn, or no longer shared)")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_FLIGHT = "in_flight", _("In flight")
    SUCCEEDED = "succeeded", _("Succeeded")
    DUPLICATE = "duplicate", _("Duplicate acknowledged")
    RETRY = "retry", _("Waiting to retry")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")
    DEAD = "dead", _("Dead (retry schedule exhausted)")
    SKIPPED_BY_POLICY = "skipped_by_policy", _("Skipped by policy")
    PARTNER_DISABLED = "partner_disabled", _("Partner disabled")


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
    SUCCEEDED = "succeeded", _("Succeeded")
    DUPLICATE = "duplicate", _("Duplicate acknowledged")
    RETRY = "retry", _("Retry")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")
    GONE = "gone", _("Partner gone (410)")
    REFUSED = "refused", _("Refused before sending")
    LEASE_EXPIRED = "lease_expired", _("Worker lost during the attempt")


class Generalisation(models.TextChoices):
    MONTH = "month", _("Date to month")
    COUNTRY = "country", _("Place to country")
    BUCKET = "bucket", _("Quantity to order-of-magnitude bucket")


class AgreementStatus(models.TextChoices):
    """Where a cross-region agreement stands (derived from its decision and revocation)."""

    REQUESTED = "requested", _("Asked, awaiting a decision")
    APPROVED = "approved", _("In force")
    REFUSED = "refused", _("Refused")
    REVOKED = "revoked", _("Revoked")
