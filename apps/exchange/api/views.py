"""Exchange API: reports pushed in by peers, and the partners' pull feed."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import StableCursorPagination
from apps.core.api.schema import error_response
from apps.core.request_actor import request_actor

from ..feed import feed_deliveries, feed_message, feed_partner
from ..inbound import SignatureRejected, inbound_peer, inbound_report_receive, inbound_verify
from ..models import Delivery, PartnerSystem
from ..selectors import partner_current_policy, partner_receivable_regions
from ..services import feed_number_due
from .serializers import FeedMessageSerializer, InboundMessageSerializer, InboundResultSerializer

_WEBHOOK_HEADERS = [
    OpenApiParameter(
        "webhook-id",
        {"type": "string", "minLength": 1},
        OpenApiParameter.HEADER,
        required=True,
        description=_("The message's unique id (Standard Webhooks); the outbox event UUID of the sender."),
    ),
    OpenApiParameter(
        "webhook-timestamp",
        {"type": "string", "pattern": "^[0-9]+$"},
        OpenApiParameter.HEADER,
        required=True,
        description=_("Seconds since the epoch when the message was signed; older than 5 minutes is refused."),
    ),
    OpenApiParameter(
        "webhook-signature",
        {"type": "string", "minLength": 1},
        OpenApiParameter.HEADER,
        required=True,
        description=_("Space-separated v1,<base64 HMAC-SHA256> signatures with the partner's signing secret."),
    ),
]


class SignatureFailed(exceptions.AuthenticationFailed):
    """401: the Standard Webhooks signature does not verify (or is stale)."""

    default_code = "invalid_signature"


class InboundReportView(APIView):
    """A report pushed in by a peer: a RILO or national system configured as a partner.

    Authenticate with the partner account's token (scope ``write``) and sign the body per Standard
    Webhooks with the partner's signing secret. The body is what this system's own webhooks send.
    Idempotent by report UUID and version: 201 when stored, 200 when the same version is sent again
    (or a newer one updates it, or a tombstone withdraws it), 409 for an older version or a report
    held here from another source, 404 for a report held here that the account may not see (as for any
    report it may not see). Nothing is stored when the signature or any field is wrong.
    """

    @extend_schema(
        tags=["exchange"],
        operation_id="inbound_report_create",
        request=InboundMessageSerializer,
        parameters=_WEBHOOK_HEADERS,
        responses={
            201: InboundResultSerializer,
            200: InboundResultSerializer,
            404: error_response("404", "The report's uuid is held here by a report out of your reach."),
            409: error_response("409", "An older version than the one held, or a report held from another source."),
        },
    )
    def post(self, request: Request) -> Response:
        partner = inbound_peer(user=request_actor(request))
        body = request.body  # the exact bytes signed (413 if larger than the limit)
        try:
            inbound_verify(partner=partner, body=body, headers=request.headers)
        except SignatureRejected as error:
            raise SignatureFailed(error.message) from error
        result = inbound_report_receive(partner=partner, message=request.data, actor=request_actor(request))
        data = InboundResultSerializer(
            {
                "outcome": result.outcome,
                "message": result.message,
                "report": result.report,
                "provenance": result.provenance,
                "skipped": result.skipped,
            }
        ).data
        return Response(data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class FeedPagination(StableCursorPagination):
    """Cursor pages over ``feed_seq``."""

    ordering = "feed_seq"


_AFTER = OpenApiParameter(
    "after",
    {"type": "integer", "minimum": 0},
    OpenApiParameter.QUERY,
    description=_("Only messages after this feed_seq: the last one you processed, when you come back later."),
)


def _after(request: Request) -> int | None:
    raw = request.query_params.get("after")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise exceptions.ValidationError({"after": [_("Enter the feed_seq of the last message you processed.")]})
    return int(raw)


@extend_schema(tags=["exchange"], parameters=[_AFTER])
class FeedView(generics.ListAPIView[Delivery]):
    """The calling partner's messages in order (``feed_seq``), tombstones included, exactly as pushed.

    Read with the partner account's token (scope ``read``). Follow ``next`` to the end of the
    feed; come back later with ``?after=<the last feed_seq you processed>``: new messages always
    come after it, never before. Another partner's messages never appear.
    """

    serializer_class = FeedMessageSerializer
    pagination_class = FeedPagination
    cursor_ordering = "feed_seq"
    queryset = Delivery.objects.none()  # for the schema; the real one is the partner's

    def _partner(self) -> PartnerSystem:
        cached = getattr(self, "_feed_partner", None)
        if cached is None:
            cached = feed_partner(user=request_actor(self.request))
            self._feed_partner = cached
        return cast(PartnerSystem, cached)

    def get_queryset(self) -> QuerySet[Delivery]:
        deliveries = feed_deliveries(partner=self._partner())
        after = _after(self.request)
        return deliveries if after is None else deliveries.filter(feed_seq__gt=after)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partner = self._partner()
        feed_number_due(partner_id=partner.pk)  # messages whose embargo just ended join the feed
        page = self.paginate_queryset(self.get_queryset()) or []
        receivable = partner_receivable_regions(partner=partner)
        current = partner_current_policy(partner=partner)
        messages = [
            feed_message(partner=partner, delivery=delivery, receivable=receivable, current=current)
            for delivery in page
        ]
        return self.get_paginated_response(
            FeedMessageSerializer([dataclasses.asdict(m) for m in messages], many=True).data
        )
