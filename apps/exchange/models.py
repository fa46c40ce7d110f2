"""Partner systems, sharing policies, the outbox and deliveries (DESIGN.md section 6).

Approving, correcting or withdrawing a report writes an :class:`OutboxEvent` (an immutable
snapshot) in the same transaction. Fan-out then writes one :class:`Delivery` per (event, partner),
decided by the partner's current :class:`SharingPolicy` version; workers claim due deliveries with
``SELECT ... FOR UPDATE SKIP LOCKED`` and a lease, and record every :class:`DeliveryAttempt`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.reports.models import Report
from apps.tenancy.models import Administration, Region

from . import crypto, reasons
from .choices import (
    AdapterKind,
    AgreementStatus,
    AttemptOutcome,
    DeliveryMode,
    DeliveryState,
    EventType,
    PartnerState,
)
from .endpoints import validate_endpoint
from .querysets import CrossRegionAgreementQuerySet, OutboxEventQuerySet, PartnerSystemQuerySet, ThroughPartnerQuerySet

# Which fields hold personal data (read by the exchange layer itself and by the catalogue tests).
# An outbox snapshot holds a report's personal data (parties, free text) for partners entitled to it.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "PartnerSystem": frozenset({"contact_email"}),
    "SharingPolicy": frozenset({"created_by"}),
    "OutboxEvent": frozenset({"snapshot"}),
    "Delivery": frozenset(),
    "DeliveryAttempt": frozenset(),
    "ReportProvenance": frozenset(),
    "CrossRegionAgreement": frozenset({"requested_by", "decided_by", "revoked_by"}),
}
NON_PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "PartnerSystem": frozenset(
        {
            "id",
            "created_at",
            "updated_at",
            "name",
            "region",
            "adapter",
            "endpoint_url",
            "credentials_encrypted",
            "signing_secret_encrypted",
            "previous_signing_secret_encrypted",
            "previous_secret_valid_until",
            "secret_rotated_at",
            "state",
            "state_reason",
            "state_changed_at",
            "max_in_flight",
            "personal_data_allowed",
            "source_administration",
            "peer_identity",
            "account",
            "inbound_secret_encrypted",
        }
    ),
    "SharingPolicy": frozenset(
        {
            "id",
            "partner",
            "version",
            "created_at",
            "personal_data",
            "regions",
            "administrations",
            "commodity_categories",
            "report_kinds",
            "thresholds",
            "embargo",
            "fields",
            "generalisations",
            "note",
        }
    ),
    "OutboxEvent": frozenset(
        {"id", "uuid", "report_uuid", "report_version", "type", "created_at", "fanned_out_at", "personal_scrubbed_at"}
    ),
    "Delivery": frozenset(
        {
            "id",
            "event",
            "partner",
            "policy",
            "report_uuid",
            "mode",
            "state",
            "reason",
            "reason_parts",
            "attempts",
            "next_attempt_at",
            "lease_until",
            "leased_by",
            "payload_hash",
            "feed_seq",
            "feed_from",
            "created_at",
            "updated_at",
            "completed_at",
            "replayed_at",
        }
    ),
    "DeliveryAttempt": frozenset(
        {
            "id",
            "delivery",
            "number",
            "at",
            "status_code",
            "outcome",
            "latency_ms",
            "error",
            "error_parts",
            "payload_hash",
            "worker",
        }
    ),
    "ReportProvenance": frozenset(
        {"id", "report", "source_partner", "source_reference", "source_version", "received_at"}
    ),
    "CrossRegionAgreement": frozenset(
        {"id", "partner", "region", "personal_data", "requested_at", "approved", "decided_at", "revoked_at"}
    ),
}


class PartnerSystem(TimeStampedModel):
    """A partner system we push approved reports to (CEN, CIS+, a peer RILO, a national system).

    Credentials and the webhook signing secret are stored encrypted (Fernet, ``RILO_SECRETS_KEY``);
    the services show a new secret once. After a rotation the previous secret stays valid until
    ``previous_secret_valid_until``: messages carry signatures by both until then.
    ``source_administration`` and ``peer_identity`` identify the partner when it pushes reports in.
    """

    name = models.CharField(max_length=120, unique=True)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="partner_systems",
        help_text=_(
            "The RILO that manages this partner: it receives that RILO's reports, and others' only by agreement."
        ),
    )
    adapter = models.CharField(max_length=16, choices=AdapterKind.choices, default=AdapterKind.WEBHOOK)
    endpoint_url = models.URLField(
        max_length=500,
        validators=[validate_endpoint],
        help_text=_("Webhook URL, or the TAXII 2.1 collection URL (…/collections/<id>/). Public HTTPS only."),
    )
    credentials_encrypted = models.TextField(blank=True, editable=False)
    signing_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_signing_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    state = models.CharField(max_length=16, choices=PartnerState.choices, default=PartnerState.ACTIVE)
    state_reason = models.CharField(max_length=500, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    max_in_flight = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(64)],
        help_text=_("How many deliveries may be in flight to this partner at once."),
    )
    contact_email = models.EmailField(blank=True, help_text=_("Whom to tell when deliveries need attention."))
    personal_data_allowed = models.BooleanField(
        default=False, help_text=_("Whether this partner may receive personal data at all (CEN may not).")
    )
    source_administration = models.ForeignKey(
        Administration,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For a national system: the administration the reports it pushes in belong to."),
    )
    peer_identity = models.CharField(
        max_length=200, blank=True, help_text=_("For a peer RILO: the identity it signs inbound messages with.")
    )
    # The partner's own account: its API tokens read the pull feed and push reports in.
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="partner_system",
        help_text=_("The partner-system account whose API tokens read this partner's feed and push reports in."),
    )
    # The secret the partner signs the reports it pushes in with (Standard Webhooks), encrypted.
    inbound_secret_encrypted = models.TextField(blank=True, editable=False)

    objects = PartnerSystemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        # Letting personal data go to a partner is a capability of its own, not part of "change partner".
        permissions = [("allow_personal_data_partnersystem", "Can allow a partner system to receive personal data")]
        constraints = [
            models.UniqueConstraint(
                fields=["peer_identity"], condition=~Q(peer_identity=""), name="partnersystem_peer_identity_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def credentials(self) -> dict[str, str]:
        """Decrypted credentials (e.g. ``{"username": …, "password": …}`` or ``{"token": …}``)."""
        plain = crypto.decrypt(self.credentials_encrypted)
        return json.loads(plain) if plain else {}

    def signing_secrets(self, *, at: dt.datetime | None = None) -> list[str]:
        """The secrets to sign with now: the current one, plus the previous one during its overlap."""
        at = at or timezone.now()
        secrets = [crypto.decrypt(self.signing_secret_encrypted)] if self.signing_secret_encrypted else []
        if (
            self.previous_signing_secret_encrypted
            and self.previous_secret_valid_until is not None
            and self.previous_secret_valid_until > at
        ):
            secrets.append(crypto.decrypt(self.previous_signing_secret_encrypted))
        return secrets


class SharingPolicy(models.Model):
    """One immutable version of what a partner receives: which reports (filters) and which fields.

    Default deny: a report passes only if its region, administration, report kind and a commodity
    category are listed (``"*"`` lists everything); ``thresholds`` drop items below a normalised
    quantity (e.g. ``{"commodity": "cigarettes", "min": 100000, "dimension": "sticks"}``);
    ``embargo`` delays delivery after approval; ``fields`` is the allowlist of field paths
    (``"report.seizure_date"``, ``"items.quantity"``…) and ``generalisations`` coarsens some of them
    (date → month, place → country, quantity → bucket). A policy without ``personal_data`` cannot
    keep a personal field. Versions are never changed (a database trigger refuses updates);
    a change is a new version.
    """

    partner = models.ForeignKey(PartnerSystem, on_delete=models.CASCADE, related_name="policies")
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    personal_data = models.BooleanField(default=False, help_text=_("Whether this version may carry personal fields."))
    regions = models.JSONField(default=list, blank=True, help_text='Region codes, or ["*"].')
    administrations = models.JSONField(default=list, blank=True, help_text='Administration codes, or ["*"].')
    commodity_categories = models.JSONField(default=list, blank=True, help_text='Commodity category codes, or ["*"].')
    report_kinds = models.JSONField(default=list, blank=True, help_text='Report kinds, or ["*"].')
    thresholds = models.JSONField(default=list, blank=True)
    embargo = models.DurationField(default=timedelta(0))
    fields = models.JSONField(default=list, blank=True, help_text=_("Allowlist of field paths."))
    generalisations = models.JSONField(default=dict, blank=True, help_text=_("Field path → month|country|bucket."))
    note = models.TextField(blank=True, help_text=_("Why this version was made."))

    objects = ThroughPartnerQuerySet.as_manager()

    class Meta:
        ordering = ["partner", "-version"]
        verbose_name_plural = _("sharing policies")
        constraints = [models.UniqueConstraint(fields=["partner", "version"], name="sharingpolicy_version_unique")]

    def __str__(self) -> str:
        return f"{self.partner} policy v{self.version}"


class OutboxEvent(models.Model):
    """An approved, corrected or withdrawn report, written in the workflow transition's transaction.

    ``snapshot`` is the report as it was at that moment (see ``apps.exchange.snapshot``), never
    changed afterwards (a database trigger refuses it). ``id`` orders events (the feed order);
    ``fanned_out_at`` is set once the deliveries exist.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report_uuid = models.UUIDField(db_index=True)
    report_version = models.PositiveIntegerField()
    type = models.CharField(max_length=16, choices=EventType.choices)
    snapshot = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    # When the personal fields of this (superseded) version were removed from the snapshot
    # (apps.exchange.services.retention); the only change of a snapshot the database allows, once.
    personal_scrubbed_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=Q(fanned_out_at__isnull=True), name="outboxevent_pending_fanout"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.report_uuid} v{self.report_version}"


class Delivery(models.Model):
    """One event for one partner: its policy decision, its state and the lease of the worker sending it.

    ``report_uuid`` is copied from the event so that deliveries of one report to one partner go
    out in order (a correction never overtakes the original, nor a withdrawal either of them).
    ``feed_from`` is when the message joins the partner's pull feed (at fan-out, or when its
    embargo ends; none if it never does), and ``feed_seq`` its place there, drawn at that moment,
    so a message that joins late comes after those already readable and a cursor never passes it.
    ``payload_hash`` is the SHA-256 of the rendered message.
    """

    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="deliveries")
    partner = models.ForeignKey(PartnerSystem, on_delete=models.CASCADE, related_name="deliveries")
    policy = models.ForeignKey(SharingPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    report_uuid = models.UUIDField()
    mode = models.CharField(max_length=16, choices=DeliveryMode.choices, default=DeliveryMode.REPORT)
    state = models.CharField(max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    reason = models.CharField(max_length=500, blank=True, help_text=_("Why it was skipped, held, or needs attention."))
    # The same reason as [key, {params}] parts (apps.exchange.reasons), said again in a reader's language.
    reason_parts = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=200, blank=True)
    payload_hash = models.CharField(max_length=64, blank=True)
    feed_seq = models.BigIntegerField(null=True, blank=True, unique=True)
    feed_from = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Set when a person asked to send it again: it is then rendered from the report's current state
    # under the partner's current policy (apps.exchange.services.replay), never from the stored snapshot.
    replayed_at = models.DateTimeField(null=True, blank=True)

    objects = ThroughPartnerQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "partner"], name="delivery_event_partner_unique")]
        indexes = [
            models.Index(
                fields=["partner", "next_attempt_at"],
                condition=Q(state__in=[DeliveryState.PENDING, DeliveryState.RETRY]),
                name="delivery_due",
            ),
            models.Index(
                fields=["partner", "lease_until"],
                condition=Q(state=DeliveryState.IN_FLIGHT),
                name="delivery_in_flight",
            ),
            # A report's deliveries (fan-out, in-order claims, the report's timeline): report first,
            # since fan-out asks about every partner at once.
            models.Index(fields=["report_uuid", "partner"], name="delivery_report_partner"),
            models.Index(fields=["partner", "feed_seq"], name="delivery_feed"),
            # Messages whose embargo holds them out of the feed, numbered when it ends.
            models.Index(
                fields=["feed_from"],
                condition=Q(feed_seq__isnull=True, feed_from__isnull=False),
                name="delivery_feed_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.partner}: {self.state}"

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language (the stored English text for a delivery without parts)."""
        return reasons.shown(self.reason_parts) if self.reason_parts else self.reason


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: what the partner answered, how long it took, what was sent."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # ``error`` as [key, {params}] parts (apps.exchange.reasons) when it is our own sentence.
    error_parts = models.JSONField(default=list, blank=True)
    payload_hash = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["delivery", "at", "pk"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}: {self.outcome}"

    @property
    def error_shown(self) -> str:
        """The error in the reader's language (the stored text when it is the partner's own words)."""
        return reasons.said(self.error_parts, self.error)


class ReportProvenance(models.Model):
    """Where a report came from when a partner pushed it in: it is never forwarded back there."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="provenance")
    source_partner = models.ForeignKey(PartnerSystem, on_delete=models.PROTECT, related_name="+")
    source_reference = models.CharField(max_length=200, blank=True, help_text=_("The partner's own identifier."))
    source_version = models.PositiveIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = _("report provenances")

    def __str__(self) -> str:
        return f"{self.report_id} from {self.source_partner_id}"


class CrossRegionAgreement(models.Model):
    """Another region lets a partner of this region receive its reports (DESIGN.md section 6, ownership).

    Requested by an administrator of the partner's RILO, decided (approved or refused) by an
    administrator of ``region`` (the other RILO), who may revoke an approval at any time. Only an
    approved, unrevoked agreement lets ``region``'s reports pass the partner's policy, and carrying
    personal data from ``region`` needs ``personal_data`` too. A refused or revoked agreement stays
    on record; asking again makes a new one.
    """

    partner = models.ForeignKey(PartnerSystem, on_delete=models.CASCADE, related_name="agreements")
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="partner_agreements",
        help_text=_("The region whose reports it covers."),
    )
    personal_data = models.BooleanField(
        default=False, help_text=_("Whether the partner may receive personal data of this region's reports.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    requested_at = models.DateTimeField(default=timezone.now, editable=False)
    approved = models.BooleanField(null=True, editable=False, help_text=_("None while undecided."))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CrossRegionAgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One open agreement (asked or approved, not refused nor revoked) per partner and region.
            models.UniqueConstraint(
                fields=["partner", "region"],
                condition=Q(revoked_at__isnull=True) & (Q(approved__isnull=True) | Q(approved=True)),
                name="crossregionagreement_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} ← {self.region}"

    @property
    def status(self) -> AgreementStatus:
        if self.revoked_at is not None:
            return AgreementStatus.REVOKED
        if self.approved is None:
            return AgreementStatus.REQUESTED
        return AgreementStatus.APPROVED if self.approved else AgreementStatus.REFUSED

    def get_status_display(self) -> str:
        return str(self.status.label)

    @property
    def is_open(self) -> bool:
        return self.revoked_at is None and self.approved is not False
