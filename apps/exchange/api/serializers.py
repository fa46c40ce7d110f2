"""Serializers of the exchange API: the inbound message and its result, and the feed's messages.

The inbound body is read by :mod:`apps.exchange.inbound` (the signature covers the raw bytes);
its serializer documents the shape in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.reports.choices import ReportStatus

from ..choices import DeliveryMode, EventType

INBOUND_OUTCOMES = ["created", "updated", "unchanged", "withdrawn", "ignored"]


class InboundDocumentSerializer(serializers.Serializer[Any]):
    """The rendered report, as this system's webhook adapter sends it."""

    report_uuid = serializers.UUIDField(help_text=_("The report's global identity."))
    version = serializers.IntegerField(min_value=1, help_text=_("The report's approved version."))
    event = serializers.ChoiceField(choices=EventType.choices, required=False)
    event_id = serializers.UUIDField(required=False, help_text=_("The outbox event (also the webhook-id)."))
    event_at = serializers.CharField(required=False)
    policy_version = serializers.IntegerField(required=False, allow_null=True)
    withdrawn = serializers.BooleanField(required=False, help_text=_("A tombstone: the report is withdrawn."))
    reason = serializers.CharField(required=False, help_text=_("Why a tombstone was sent."))
    report = serializers.DictField(
        required=False,
        help_text=_(
            "Report fields by name (codes for vocabularies, ISO codes for countries); "
            "seizure_date and country_of_seizure are required."
        ),
    )
    items = serializers.ListField(child=serializers.DictField(), required=False, max_length=500)
    route = serializers.ListField(child=serializers.DictField(), required=False, max_length=500)
    conveyances = serializers.ListField(child=serializers.DictField(), required=False, max_length=500)
    parties = serializers.ListField(child=serializers.DictField(), required=False, max_length=500)


class InboundMessageSerializer(serializers.Serializer[Any]):
    """A report pushed in by a peer, signed per Standard Webhooks."""

    type = serializers.ChoiceField(choices=[f"report.{kind}" for kind in EventType.values])
    timestamp = serializers.CharField(required=False)
    data = InboundDocumentSerializer()  # type: ignore[assignment]  # the wire name; DRF pops declared fields


class InboundReportSerializer(serializers.Serializer[Any]):
    uuid = serializers.UUIDField()
    version = serializers.IntegerField()
    status = serializers.CharField(
        help_text=format_lazy(_("The report's state here: {states}."), states=", ".join(ReportStatus.values))
    )
    administration = serializers.CharField(source="administration.code")
    national_reference = serializers.CharField()


class InboundProvenanceSerializer(serializers.Serializer[Any]):
    source_partner = serializers.CharField(source="source_partner.name")
    source_reference = serializers.CharField()
    source_version = serializers.IntegerField(allow_null=True)
    received_at = serializers.DateTimeField()


class InboundResultSerializer(serializers.Serializer[Any]):
    """What became of an inbound message."""

    outcome = serializers.ChoiceField(choices=INBOUND_OUTCOMES)
    message = serializers.CharField()
    report = InboundReportSerializer(allow_null=True)
    provenance = InboundProvenanceSerializer(allow_null=True)
    skipped = serializers.ListField(
        child=serializers.CharField(), help_text=_("Rows that were not stored, and why (e.g. a person without a name).")
    )


class FeedMessageSerializer(serializers.Serializer[Any]):
    """One message of the partner's feed, exactly as it is pushed."""

    feed_seq = serializers.IntegerField(help_text=_("Position in the partner's feed (increasing, with gaps)."))
    event_id = serializers.UUIDField(help_text=_("The outbox event; the webhook-id of the pushed message."))
    report_uuid = serializers.UUIDField()
    report_version = serializers.IntegerField()
    event = serializers.ChoiceField(choices=EventType.choices)
    mode = serializers.ChoiceField(choices=DeliveryMode.choices, help_text=_("report, or tombstone."))
    created_at = serializers.DateTimeField()
    payload_sha256 = serializers.CharField(help_text=_("SHA-256 of the message bytes as pushed."))
    message = serializers.JSONField(
        allow_null=True, help_text=_("The message: the webhook body, or the STIX 2.1 bundle for a TAXII partner.")
    )
    withheld = serializers.CharField(
        allow_blank=True, help_text=_("Why the message is withheld (personal data found); empty otherwise.")
    )
