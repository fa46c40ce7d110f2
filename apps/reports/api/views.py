"""Reports API: list and read reports, push them in (create or update), edit, submit, and review them.

Every report is reached through the domain selectors (``restrict()`` underneath) and changed only by
the domain services, as the web pages do, so no API call can do what the same account cannot do in
the UI: a report out of reach is a 404, an illegal transition a 409, a missing capability a 403.
Personal data is read only through the gated, audited selectors, on a report's own page; lists
carry none. Each write runs in one transaction: on any error nothing of it is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from apps.core.api.conditional import conditional_response, with_etag
from apps.core.api.filters import UpdatedSinceFilterBackend
from apps.core.api.idempotency import idempotent
from apps.core.api.pagination import KeysetCursorPagination
from apps.core.api.permissions import REVIEW, RequiredScopeMixin
from apps.core.api.renderers import FastJSONRenderer
from apps.core.api.schema import error_response
from apps.core.exceptions import NotFound
from apps.core.request_actor import request_actor

from .. import services
from ..choices import DEFAULT_ORDERING, ORDERING_CHOICES, ORDERINGS
from ..errors import Path, api_key, paths_of
from ..filtersets import ReportFilterSet
from ..models import Report
from ..selectors import (
    parties_for,
    party_profiles_for,
    report_get,
    report_list_ordering,
)
from .inputs import (
    ApproveSerializer,
    MarkDuplicateSerializer,
    ReportChangesSerializer,
    ReportCorrectionSerializer,
    ReportCreateSerializer,
    ReportWriteSerializer,
    ReturnSerializer,
    WithdrawSerializer,
)
from .list_json import page_json, reports_as_json
from .serializers import ReportSerializer

# --- errors ------------------------------------------------------------------------------------------


def _detail_paths(detail: Any, path: Path = ()) -> Iterator[tuple[Path, list[Any]]]:
    """DRF's nested error detail as (path, messages); a row's ``non_field_errors`` are the row's."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            step: Path = () if key == "non_field_errors" and path else (key if isinstance(key, int) else str(key),)
            yield from _detail_paths(value, (*path, *step))
    elif isinstance(detail, list) and any(isinstance(value, dict | list) for value in detail):
        for index, value in enumerate(detail):  # a list of rows, as DRF keys the errors of each row
            if value:
                yield from _detail_paths(value, (*path, index))
    else:
        yield path, detail if isinstance(detail, list) else [detail]


def _field_errors(exc: Exception) -> Exception:
    """Validation errors of the serializers and of the services, keyed by one flat field path each."""
    if isinstance(exc, DjangoValidationError) and hasattr(exc, "error_dict"):
        return exceptions.ValidationError({api_key(path): messages for path, messages in paths_of(exc).items()})
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        flat: dict[str, list[Any]] = {}
        for path, messages in _detail_paths(exc.detail):
            flat.setdefault(api_key(path), []).extend(messages)
        return exceptions.ValidationError(flat)
    return exc


# --- filters ---------------------------------------------------------------------------------------------


class WebListFilterBackend(DjangoFilterBackend):
    """The web list's FilterSet, as DjangoFilterBackend applies it; not even built for a request that names none
    of its filters (building it and its form is a good part of an unfiltered page's cost)."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        if not any(name in request.query_params for name in view.filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


# --- permissions -------------------------------------------------------------------------------------

# The capability each operation needs (the first layer; restrict() and the services decide the rest).
_CAPABILITIES = {
    "list": "reports.view_report",
    "retrieve": "reports.view_report",
    "create": "reports.add_report",
    "update": "reports.change_report",
    "partial_update": "reports.change_report",
    "submit": "reports.submit_report",
    "return_report": "reports.review_report",
    "approve": "reports.approve_report",
    "correct": "reports.correct_report",
    "withdraw": "reports.withdraw_report",
    "mark_duplicate": "reports.mark_duplicate_report",
}


class ReportCapabilityPermission(BasePermission):
    """403 for an account whose role lacks the operation's capability, whatever report it names."""

    def has_permission(self, request: Any, view: Any) -> bool:
        needed = _CAPABILITIES.get(view.action)
        return needed is None or bool(request.user.has_perm(needed))


# --- the viewset -------------------------------------------------------------------------------------

_UUID = OpenApiParameter("uuid", OpenApiTypes.UUID, OpenApiParameter.PATH, description=_("The report's uuid."))
_ORDERING_HELP = f"Order of the list (default {DEFAULT_ORDERING}): " + ", ".join(value for value, _ in ORDERING_CHOICES)
_REPORT = OpenApiResponse(ReportSerializer, description=_("The report as it now is."))
_CONFLICT = error_response("409", "The report's state forbids this (e.g. it is no longer a draft).")
_TRANSITION_CONFLICT = error_response("409", "The transition is not possible from the report's current state.")
_REVIEW_ENDED = OpenApiResponse(
    description=_("Done; you were assigned to review this report only, and your rights on it ended with the review.")
)
_INCOMPLETE = error_response("400", "The report lacks fields its form variant requires: `details` names them.")

V = TypeVar("V", bound=Callable[..., Any])


def _transition(
    *,
    body: type[Serializer[Any]] | None,
    summary: str,
    scope: str | None = REVIEW,
    path: str | None = None,
    ends_review: bool = False,
) -> Callable[[V], V]:
    """A workflow transition: POST on the report, answering the report as it now is (204 when it ``ends_review``
    and with it the caller's rights on the report, as an assigned reviewer's)."""

    def decorate(method: V) -> V:
        responses: dict[int, Any] = {200: _REPORT, 409: _TRANSITION_CONFLICT}
        if ends_review:
            responses[204] = _REVIEW_ENDED
        if body is None:
            responses[400] = _INCOMPLETE
        options: dict[str, Any] = {"detail": True, "methods": ["post"], "url_path": path or method.__name__}
        if scope:
            options["required_scope"] = scope
        routed = action(**options)(idempotent(method))
        return cast(V, extend_schema(summary=summary, request=body, responses=responses, parameters=[_UUID])(routed))

    return decorate


# List parameters whose schema type has no empty value (dates, numbers, enumerations).
_TYPED = ("date_from", "date_to", "administration", "country_of_seizure", "status", "ordering", "updated_since")


@extend_schema(tags=["reports"])
@extend_schema_view(
    list=extend_schema(
        summary="Reports you may see",
        description=(
            "Reports of your administration, or for RILO staff the submitted and approved reports of the region's "
            "administrations, with the same filters as the web list. Cursor pages: follow `next`. Lists carry no "
            "personal data (parties appear as kind and role, with nationality, sex and age band only on reports "
            "whose personal data you may see)."
        ),
        parameters=[
            # The FilterSet's own fields, typed for the schema (its method filters carry no type).
            OpenApiParameter("q", OpenApiTypes.STR, description=ReportFilterSet.base_filters["q"].extra["help_text"]),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description=_("Seized on or after this day.")),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description=_("Seized on or before this day.")),
            OpenApiParameter("commodity_category", OpenApiTypes.STR, description=_("Code of a commodity category.")),
            OpenApiParameter("transport_mode", OpenApiTypes.STR, description=_("Code of a mode of transport.")),
            OpenApiParameter(
                "country_of_seizure",
                OpenApiTypes.STR,
                enum=[code for code, _ in countries],
                description=_("ISO 3166-1."),
            ),
            OpenApiParameter(
                "administration",
                OpenApiTypes.INT,
                description=_("Id of one of the region's administrations (RILO staff)."),
            ),
            OpenApiParameter("ordering", OpenApiTypes.STR, enum=sorted(ORDERINGS), description=_ORDERING_HELP),
        ],
    ),
)
class ReportViewSet(RequiredScopeMixin, viewsets.GenericViewSet[Report]):
    """Seizure and offence reports."""

    queryset = Report.objects.none()  # the model, for the schema; rows come from the selectors
    serializer_class = ReportSerializer
    permission_classes = [*APIView.permission_classes, ReportCapabilityPermission]
    pagination_class = KeysetCursorPagination
    renderer_classes = [FastJSONRenderer]
    filter_backends = [WebListFilterBackend, UpdatedSinceFilterBackend]
    filterset_class = ReportFilterSet
    updated_since_field = "updated_at"
    lookup_field = "uuid"
    lookup_value_regex = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

    @property
    def cursor_ordering(self) -> tuple[str, ...]:
        """The requested order, as on the web (the FilterSet has refused any other); the pagination's Keyset makes it
        unique by the primary key."""
        return report_list_ordering(ordering=self.request.query_params.get("ordering") or "")

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return Report.objects.none()
        # restrict() itself rather than the report_list() selector: that one annotates each row with the
        # personal-data right over every reachable report before the page is cut, and a list shows no personal
        # data (see list_json). The FilterSet applies the domain's report_filter() as on the web.
        return reports_as_json(request_actor(self.request))

    def filter_queryset(self, queryset: Any) -> Any:
        # The web list's form treats an empty field as no filter; in the API a date, number or code given
        # empty is malformed, as the schema says.
        params = self.request.query_params
        errors = {
            name: [_("Give a value, or leave the parameter out.")] for name in _TYPED if "" in params.getlist(name)
        }
        # The FilterSet drops this filter for an administration's staff (they have one); it is still a number.
        if not all(value.isdigit() for value in params.getlist("administration")):
            errors.setdefault("administration", [_("Give the id of an administration.")])
        if errors:
            raise exceptions.ValidationError(errors)
        return super().filter_queryset(queryset)

    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(_field_errors(exc))

    # --- helpers -----------------------------------------------------------------------------------

    def _report(self, uuid: str) -> Report:
        """The report if the caller may see it at all, else a 404 (the services check the rest)."""
        return report_get(user=request_actor(self.request), uuid=uuid)

    def _representation(self, uuid: Any) -> dict[str, Any]:
        """The report with its personal values if the caller may see them (read through the gated, audited
        selectors, as the report's web page does), else with the parties' non-personal profiles."""
        user = request_actor(self.request)
        report = report_get(user=user, uuid=uuid, with_personal_data=True)
        personal = bool(getattr(report, "can_view_personal_data", False))
        parties = parties_for(user=user, report=report) if personal else party_profiles_for(user=user, report=report)
        serializer = ReportSerializer(report, context={"personal": personal, "parties": parties})
        return cast(dict[str, Any], serializer.data)

    def _answer(self, report: Report) -> Response:
        """The report as it now is; 204 (no content) when the change ended the caller's right to see it (an
        assigned reviewer's rights end with the review)."""
        try:
            return Response(self._representation(report.uuid))
        except NotFound:
            return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _valid(serializer_class: type[Serializer[Any]], request: Request) -> Any:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer

    # --- reads -------------------------------------------------------------------------------------

    def list(self, request: Request) -> Response:
        rows = cast(list[dict[str, Any]], self.paginate_queryset(self.filter_queryset(self.get_queryset())))
        # The reports as PostgreSQL wrote them (see list_json), not parsed nor re-encoded here.
        return self.get_paginated_response(page_json(rows, user=request_actor(request)))

    @extend_schema(
        summary="One report",
        description=_("With its personal data if you may see it (the read is recorded in the audit log)."),
        parameters=[_UUID],
        responses={200: ReportSerializer},
    )
    @with_etag
    def retrieve(self, request: Request, uuid: str) -> Response:
        return conditional_response(request, self._representation(uuid))

    # --- writes ------------------------------------------------------------------------------------

    @extend_schema(
        summary="Push a report",
        description=(
            "Creates a draft in your administration (201), or updates the report your administration already has "
            "with the same `uuid`, else the same `national_reference` (200): a report pushed twice is one report. "
            "Only a draft or returned report can be updated (else 409). The administration is always yours. A "
            "`uuid` another administration's report holds is not found (404), as a report you may not see."
        ),
        request=ReportCreateSerializer,
        responses={
            201: OpenApiResponse(ReportSerializer, description=_("Created.")),
            200: OpenApiResponse(ReportSerializer, description=_("The existing report, updated.")),
            404: error_response("404", "The `uuid` is held by a report you may not see."),
            409: error_response("409", "The report exists and is no longer a draft."),
        },
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = self._valid(ReportCreateSerializer, request)
        with transaction.atomic():
            report, created = services.report_upsert_from_api(
                actor=request_actor(request), uuid=serializer.validated_data.get("uuid"), **serializer.service_input()
            )
            location = request.build_absolute_uri(reverse("api:report-detail", kwargs={"uuid": report.uuid}))
            return Response(
                self._representation(report.uuid),
                status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
                headers={"Location": location},
            )

    @extend_schema(
        summary="Replace a draft or returned report",
        description=_("Fields left out are emptied; parts and the modus operandi left out stay as they are."),
        request=ReportWriteSerializer,
        parameters=[_UUID],
        responses={200: _REPORT, 409: _CONFLICT},
    )
    def update(self, request: Request, uuid: str) -> Response:
        return self._change(request, uuid, ReportWriteSerializer)

    @extend_schema(
        summary="Change a draft or returned report",
        request=ReportChangesSerializer,
        parameters=[_UUID],
        responses={200: _REPORT, 409: _CONFLICT},
    )
    def partial_update(self, request: Request, uuid: str) -> Response:
        return self._change(request, uuid, ReportChangesSerializer)

    def _change(self, request: Request, uuid: str, serializer_class: type[ReportChangesSerializer]) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            serializer = self._valid(serializer_class, request)
            report = services.report_update_draft(
                report=report, actor=request_actor(request), **serializer.service_input()
            )
            return self._answer(report)

    @_transition(body=None, summary="Submit for review (a draft, or a returned report again)", scope=None)
    def submit(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            report = services.report_send_for_review(report=report, actor=request_actor(request))
            return self._answer(report)

    @_transition(
        body=ReturnSerializer, summary="Return for correction, saying what to fix", path="return", ends_review=True
    )
    def return_report(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            comment = self._valid(ReturnSerializer, request).validated_data["comment"]
            return self._answer(services.report_return(report=report, actor=request_actor(request), comment=comment))

    @_transition(body=ApproveSerializer, summary="Approve a submitted report", ends_review=True)
    def approve(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            data = self._valid(ApproveSerializer, request).validated_data
            report = services.report_approve(
                report=report,
                actor=request_actor(request),
                comment=data.get("comment", ""),
                free_text_checked=data.get("free_text_checked", False),
            )
            return self._answer(report)

    @_transition(body=ReportCorrectionSerializer, summary="Correct an approved report (a new approved version)")
    def correct(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            serializer = self._valid(ReportCorrectionSerializer, request)
            report = services.report_correct(
                report=report,
                actor=request_actor(request),
                reason=serializer.validated_data["reason"],
                free_text_checked=serializer.validated_data.get("free_text_checked", False),
                **serializer.service_input(),
            )
            return self._answer(report)

    @_transition(body=WithdrawSerializer, summary="Withdraw an approved report, saying why")
    def withdraw(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            reason = self._valid(WithdrawSerializer, request).validated_data["reason"]
            return self._answer(services.report_withdraw(report=report, actor=request_actor(request), reason=reason))

    @_transition(body=MarkDuplicateSerializer, summary="Mark as a duplicate of another report", path="mark-duplicate")
    def mark_duplicate(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            data = self._valid(MarkDuplicateSerializer, request).validated_data
            try:
                original = report_get(user=request_actor(request), uuid=data["of"])
            except NotFound:
                raise exceptions.ValidationError({"of": [_("No report with this uuid that you can see.")]}) from None
            report = services.report_mark_duplicate(
                report=report, of=original, actor=request_actor(request), comment=data.get("comment", "")
            )
            return self._answer(report)
