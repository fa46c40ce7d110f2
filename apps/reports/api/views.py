"""Reports API: list and read reports, push them in (create or update), edit, submit, and review them.

Every report is reached through the domain selectors (``restrict()`` underneath) and changed only by
the domain services, as the web pages do, so no API call can do what the same account cannot do in
the UI: a report out of reach is a 404, an illegal transition a 409, a missing capability a 403.
Personal data is read only through the gated, audited selectors, on a report's own page; lists
carry none. Each write runs in one transaction: on any error nothing of it is kept.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar, cast

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import F, Func, JSONField, Model, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, NullIf
from django.urls import reverse
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

from apps.core.api_conditional import conditional_response, with_etag
from apps.core.api_filters import UpdatedSinceFilterBackend
from apps.core.api_idempotency import idempotent
from apps.core.api_pagination import KeysetCursorPagination
from apps.core.api_permissions import REVIEW, RequiredScopeMixin
from apps.core.api_renderers import FastJSONRenderer
from apps.core.api_schema import error_response
from apps.core.exceptions import NotFound
from apps.reference.models import DetectionMethod
from apps.reference.selectors import term_codes
from apps.tenancy.models import Administration

from .. import services
from ..choices import ReportStatus
from ..filtersets import ORDERING_CHOICES, ReportFilterSet
from ..models import Conveyance, Report, ReportItem, RouteCountry
from ..querysets import ReportQuerySet
from ..selectors import (
    parties_for,
    party_profile_rows,
    party_profiles_for,
    report_get,
)
from .serializers import (
    CommentSerializer,
    ConveyanceSerializer,
    ItemSerializer,
    MarkDuplicateSerializer,
    ReportChangesSerializer,
    ReportCorrectionSerializer,
    ReportCreateSerializer,
    ReportSerializer,
    ReportWriteSerializer,
    ReturnSerializer,
    RouteStepSerializer,
    WithdrawSerializer,
)

DEFAULT_ORDERING = "-seizure_date"
ORDERINGS = frozenset(value for value, _ in ORDERING_CHOICES)

# --- what a list loads -------------------------------------------------------------------------------
# One query whatever the page size, and no model instance: per report of the page, its representation
# as PostgreSQL builds it in JSON, key for key in the serializers' declared order (the rows of its
# parts as arrays of values in that order); terms appear there as ids, personal values as null,
# parties as the columns their non-personal profiles are derived from (lists carry no personal
# data); beside it, the columns cursor pages are keyed on. The codes of the terms are then put in
# place of the ids (:func:`term_codes`: known to the process once read); as ids they cost no join
# or subquery in the query, which PostgreSQL then plans in a fraction of a millisecond.


class JSONBuildObject(Func):
    """``json_build_object``: keys in the order given (jsonb would sort them), and cheaper to build."""

    function = "JSON_BUILD_OBJECT"
    output_field = JSONField()

    def __init__(self, **fields: Any) -> None:
        super().__init__(*(part for key, value in fields.items() for part in (Cast(Value(key), TextField()), value)))


def _terms(model: type[Model], *names: str) -> dict[str, type[Model]]:
    """The model of the terms each of these foreign keys names."""
    return {name: model._meta.get_field(name).related_model for name in names}  # type: ignore[misc]


_REPORT_TERMS = _terms(
    Report, "location_type", "direction", "transport_mode", "conveyance_type", "selection_basis", "operation"
)
_PART_TERMS = {
    "items": _terms(
        ReportItem, "commodity_category", "commodity_type", "hs_code", "unit", "currency", "concealment_method"
    ),
    "conveyances": _terms(Conveyance, "transport_mode", "conveyance_type"),
}
_LIST_VALUES = ("id", "seizure_date", "submitted_at", "national_reference", "representation")
NULL = Value(None)


def _text(name: str) -> Cast:
    return Cast(name, TextField())  # decimals as their exact digits, uuids as text: as the API writes them


def _country(name: str) -> NullIf:
    return NullIf(name, Value(""))


def _ordered(serializer: type[Serializer[Any]], **expressions: Any) -> JSONBuildObject:
    """The JSON object of ``serializer``'s representation: its declared keys in order, each from its expression,
    else from the column of that name."""
    return JSONBuildObject(**{name: expressions.get(name, F(name)) for name in serializer._declared_fields})


def _values(serializer: type[Serializer[Any]], **expressions: Any) -> Func:
    """The values of ``serializer``'s representation as a JSON array, in the order of its declared keys (as
    :func:`_ordered`): for the many rows of parts, a third cheaper to build, parse and send than objects."""
    values = [expressions.get(name, F(name)) for name in serializer._declared_fields]
    return Func(*values, function="JSON_BUILD_ARRAY", output_field=JSONField())


def _json_array(queryset: QuerySet[Any], value: Any) -> Func:
    """The rows of ``queryset`` that belong to the outer report, as one JSON array of ``value``."""
    rows = ArraySubquery(queryset.filter(report_id=OuterRef("pk")).values(value=value))
    return Func(rows, function="array_to_json", output_field=JSONField())


def _representation() -> JSONBuildObject:
    """What a list shows of a report, terms as ids (see above)."""
    methods = Report.detection_methods.through.objects.order_by("pk")
    item = _values(
        ItemSerializer,
        **{name: F(f"{name}_id") for name in _PART_TERMS["items"]},
        **{name: _text(name) for name in ("quantity", "normalised_quantity", "estimated_value")},
        country_of_manufacture=_country("country_of_manufacture"),
        concealment_detail=NULL,
    )
    conveyance = _values(
        ConveyanceSerializer,
        **{name: F(f"{name}_id") for name in _PART_TERMS["conveyances"]},
        identifier=NULL,
        flag_country=_country("flag_country"),
    )
    return _ordered(
        ReportSerializer,
        **{name: F(f"{name}_id") for name in _REPORT_TERMS},
        uuid=_text("uuid"),
        administration=Subquery(
            Administration.objects.filter(pk=OuterRef("administration_id")).values(
                value=JSONBuildObject(code=F("code"), name=F("name"), country=F("country"))
            )
        ),
        duplicate_of=Subquery(Report.objects.filter(pk=OuterRef("duplicate_of_id")).values(value=_text("uuid"))),
        country_of_seizure=_country("country_of_seizure"),
        latitude=_text("latitude"),
        longitude=_text("longitude"),
        detection_methods=_json_array(methods, F("detectionmethod_id")),
        modus_operandi=NULL,
        personal_data=Value(False),
        items=_json_array(ReportItem.objects.order_by("position", "pk"), item),
        route=_json_array(RouteCountry.objects.order_by("sequence"), _values(RouteStepSerializer)),
        conveyances=_json_array(Conveyance.objects.order_by("pk"), conveyance),
        parties=party_profile_rows(),
    )


@cache
def _list_shape() -> ReportQuerySet:
    """Every report, annotated with its list representation as JSON text (see above; parsed by orjson, faster
    than psycopg's json.loads). Built once, and its SQL compiled once: building and compiling it cost more than
    running it. It refers to the report's own columns only (its joins are subqueries), so the compiled SQL
    holds in any query over the report table; each request narrows a copy with restrict() and the filters,
    then takes the values."""
    representation = Cast(_representation(), TextField())
    query = Report.objects.annotate(representation=representation).query
    sql, params = query.get_compiler(DEFAULT_DB_ALIAS).compile(query.annotations["representation"])
    annotated = Report.objects.annotate(representation=RawSQL(sql, params, TextField()))  # noqa: S611 - compiled above, no input
    return cast(ReportQuerySet, annotated)


_PART_SERIALIZERS = {"items": ItemSerializer, "route": RouteStepSerializer, "conveyances": ConveyanceSerializer}


def _with_codes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put the codes of the terms a page of reports names in their representations, in place of the ids (one
    query)."""
    wanted: dict[type[Model], set[int]] = defaultdict(set)
    for row in rows:
        report = row["representation"] = orjson.loads(row["representation"])
        for part, serializer in _PART_SERIALIZERS.items():  # rows of values, in the keys' order
            keys = tuple(serializer._declared_fields)
            report[part] = [dict(zip(keys, values, strict=True)) for values in report[part]]
        for name, model in _REPORT_TERMS.items():
            wanted[model].add(report[name])
        wanted[DetectionMethod].update(report["detection_methods"])
        for part, terms in _PART_TERMS.items():
            for part_row in report[part]:
                for name, model in terms.items():
                    wanted[model].add(part_row[name])
    codes = term_codes(wanted)
    for row in rows:
        report = row["representation"]
        for name, model in _REPORT_TERMS.items():
            report[name] = codes[model].get(report[name])
        report["detection_methods"] = [codes[DetectionMethod][pk] for pk in report["detection_methods"]]
        for part, terms in _PART_TERMS.items():
            for part_row in report[part]:
                for name, model in terms.items():
                    part_row[name] = codes[model].get(part_row[name])
    return rows


# --- errors ------------------------------------------------------------------------------------------

_PART_KEY = re.compile(r"^(items|route|conveyances|parties)-(\d+)-(.+)$")


def _api_field(key: str) -> str:
    """The services' formset-style key (``items-0-quantity``) as the API names it (``items[0].quantity``)."""
    match = _PART_KEY.match(key)
    return f"{match[1]}[{match[2]}].{match[3]}" if match else key


def _flatten(prefix: str, detail: Any, out: dict[str, list[Any]]) -> None:
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # a row of a list, as DRF keys the errors of some rows only
                name = f"{prefix}[{key}]"
            elif key == "non_field_errors" and prefix:
                name = prefix
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            _flatten(name, value, out)
    elif isinstance(detail, list) and any(isinstance(value, dict | list) for value in detail):
        for index, value in enumerate(detail):
            if value:
                _flatten(f"{prefix}[{index}]", value, out)
    else:
        out.setdefault(prefix or "non_field_errors", []).extend(detail if isinstance(detail, list) else [detail])


def _field_errors(exc: Exception) -> Exception:
    """Validation errors of the serializers and of the services, keyed by one flat field path each."""
    if isinstance(exc, DjangoValidationError) and hasattr(exc, "error_dict"):
        return exceptions.ValidationError({_api_field(key): messages for key, messages in exc.message_dict.items()})
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        flat: dict[str, list[Any]] = {}
        _flatten("", exc.detail, flat)
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

_UUID = OpenApiParameter("uuid", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The report's uuid.")
_ORDERING_HELP = "Order of the list (default -seizure_date): " + ", ".join(value for value, _ in ORDERING_CHOICES)
_REPORT = OpenApiResponse(ReportSerializer, description="The report as it now is.")
_CONFLICT = error_response("409", "The report's state forbids this (e.g. it is no longer a draft).")
_TRANSITION_CONFLICT = error_response("409", "The transition is not possible from the report's current state.")
_INCOMPLETE = error_response("400", "The report lacks fields its form variant requires: `details` names them.")

V = TypeVar("V", bound=Callable[..., Any])


def _transition(
    *, body: type[Serializer[Any]] | None, summary: str, scope: str | None = REVIEW, path: str | None = None
) -> Callable[[V], V]:
    """A workflow transition: POST on the report, answering the report as it now is."""

    def decorate(method: V) -> V:
        responses: dict[int, Any] = {200: _REPORT, 409: _TRANSITION_CONFLICT}
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
            "personal data (parties appear as kind, role, nationality, sex and age band)."
        ),
        parameters=[
            # The FilterSet's own fields, typed for the schema (its method filters carry no type).
            OpenApiParameter("q", OpenApiTypes.STR, description=ReportFilterSet.base_filters["q"].extra["help_text"]),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="Seized on or after this day."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="Seized on or before this day."),
            OpenApiParameter("commodity_category", OpenApiTypes.STR, description="Code of a commodity category."),
            OpenApiParameter("transport_mode", OpenApiTypes.STR, description="Code of a mode of transport."),
            OpenApiParameter(
                "country_of_seizure", {"type": "string", "pattern": "^[A-Z]{2}$"}, description="ISO 3166-1 alpha-2."
            ),
            OpenApiParameter(
                "administration",
                OpenApiTypes.INT,
                description="Id of one of the region's administrations (RILO staff).",
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
        """The requested order (the FilterSet has refused any other value), made unique by the primary key."""
        requested = self.request.query_params.get("ordering") or DEFAULT_ORDERING
        return (requested if requested in ORDERINGS else DEFAULT_ORDERING,)

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return Report.objects.none()
        # restrict() itself rather than the report_list() selector: that one annotates each row with the
        # personal-data right, which PostgreSQL computes over every reachable report before the page is cut,
        # and a list shows no personal data. The FilterSet applies the domain's report_filter() as on the web.
        return _list_shape().restrict(self.request.user, "view").values(*_LIST_VALUES)

    def filter_queryset(self, queryset: Any) -> Any:
        # The web list's form treats an empty field as no filter; in the API a date, number or code given
        # empty is malformed, as the schema says.
        params = self.request.query_params
        errors = {name: ["Give a value, or leave the parameter out."] for name in _TYPED if "" in params.getlist(name)}
        # The FilterSet drops this filter for an administration's staff (they have one); it is still a number.
        if not all(value.isdigit() for value in params.getlist("administration")):
            errors.setdefault("administration", ["Give the id of an administration."])
        if errors:
            raise exceptions.ValidationError(errors)
        return super().filter_queryset(queryset)

    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(_field_errors(exc))

    # --- helpers -----------------------------------------------------------------------------------

    def _report(self, uuid: str) -> Report:
        """The report if the caller may see it at all, else a 404 (the services check the rest)."""
        return report_get(user=self.request.user, uuid=uuid)

    def _representation(self, uuid: Any) -> dict[str, Any]:
        """The report with its personal values if the caller may see them (read through the gated, audited
        selectors, as the report's web page does), else with the parties' non-personal profiles."""
        user = self.request.user
        report = report_get(user=user, uuid=uuid, with_personal_data=True)
        personal = bool(getattr(report, "can_view_personal_data", False))
        parties = parties_for(user=user, report=report) if personal else party_profiles_for(user=user, report=report)
        serializer = ReportSerializer(report, context={"personal": personal, "parties": parties})
        return cast(dict[str, Any], serializer.data)

    def _answer(self, report: Report, *, status_code: int = status.HTTP_200_OK) -> Response:
        location = self.request.build_absolute_uri(reverse("api:report-detail", kwargs={"uuid": report.uuid}))
        return Response(self._representation(report.uuid), status=status_code, headers={"Location": location})

    @staticmethod
    def _valid(serializer_class: type[Serializer[Any]], request: Request) -> Any:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer

    # --- reads -------------------------------------------------------------------------------------

    def list(self, request: Request) -> Response:
        page = _with_codes(
            cast(list[dict[str, Any]], self.paginate_queryset(self.filter_queryset(self.get_queryset())))
        )
        data = ReportSerializer(page, many=True, context={"personal": False}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="One report",
        description="With its personal data if you may see it (the read is recorded in the audit log).",
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
            "Only a draft or returned report can be updated (else 409). The administration is always yours."
        ),
        request=ReportCreateSerializer,
        responses={
            201: OpenApiResponse(ReportSerializer, description="Created."),
            200: OpenApiResponse(ReportSerializer, description="The existing report, updated."),
            409: error_response("409", "The report exists and is no longer a draft, or its uuid is taken."),
        },
    )
    @idempotent
    def create(self, request: Request) -> Response:
        serializer = self._valid(ReportCreateSerializer, request)
        with transaction.atomic():
            report, created = services.report_upsert_from_api(
                actor=request.user, uuid=serializer.validated_data.get("uuid"), **serializer.service_input()
            )
            return self._answer(report, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Replace a draft or returned report",
        description="Fields left out are emptied; parts and the modus operandi left out stay as they are.",
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
            report = services.report_update_draft(report=report, actor=request.user, **serializer.service_input())
            return self._answer(report)

    @_transition(body=None, summary="Submit for review (a draft, or a returned report again)", scope=None)
    def submit(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            if report.status == ReportStatus.RETURNED:
                report = services.report_resubmit(report=report, actor=request.user)
            else:
                report = services.report_submit(report=report, actor=request.user)
            return self._answer(report)

    @_transition(body=ReturnSerializer, summary="Return for correction, saying what to fix", path="return")
    def return_report(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            comment = self._valid(ReturnSerializer, request).validated_data["comment"]
            return self._answer(services.report_return(report=report, actor=request.user, comment=comment))

    @_transition(body=CommentSerializer, summary="Approve a submitted report")
    def approve(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            comment = self._valid(CommentSerializer, request).validated_data.get("comment", "")
            return self._answer(services.report_approve(report=report, actor=request.user, comment=comment))

    @_transition(body=ReportCorrectionSerializer, summary="Correct an approved report (a new approved version)")
    def correct(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            serializer = self._valid(ReportCorrectionSerializer, request)
            report = services.report_correct(
                report=report,
                actor=request.user,
                reason=serializer.validated_data["reason"],
                **serializer.service_input(),
            )
            return self._answer(report)

    @_transition(body=WithdrawSerializer, summary="Withdraw an approved report, saying why")
    def withdraw(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            reason = self._valid(WithdrawSerializer, request).validated_data["reason"]
            return self._answer(services.report_withdraw(report=report, actor=request.user, reason=reason))

    @_transition(body=MarkDuplicateSerializer, summary="Mark as a duplicate of another report", path="mark-duplicate")
    def mark_duplicate(self, request: Request, uuid: str) -> Response:
        with transaction.atomic():
            report = self._report(uuid)
            data = self._valid(MarkDuplicateSerializer, request).validated_data
            try:
                original = report_get(user=request.user, uuid=data["of"])
            except NotFound:
                raise exceptions.ValidationError({"of": ["No report with this uuid that you can see."]}) from None
            report = services.report_mark_duplicate(
                report=report, of=original, actor=request.user, comment=data.get("comment", "")
            )
            return self._answer(report)
