"""Uploads API for national systems and scripts: send a spreadsheet (202, then follow its URL), read its state,
progress, counts, problems and preview, commit it, cancel it, start it again, and download the templates.

Uploads are reached through the selectors (``restrict()`` underneath: another administration's upload is a 404)
and changed only by the services, as the web pages do.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.parsers import LimitedJSONParser
from apps.core.api.permissions import RequiredScopeMixin
from apps.core.api.schema import error_response
from apps.core.request_actor import request_actor
from apps.reports.choices import FormVariant

from .. import services
from ..choices import DEFAULT_VARIANT, ProblemKind
from ..downloads import CSV_MEDIA_TYPE, XLSX_TYPE, upload_template_file
from ..models import Upload
from ..querysets import may_upload
from ..reading_csv import ENCODING_NAMES
from ..selectors import upload_get, upload_list, upload_problems, upload_problems_seen
from ..storage import limit_upload, received_discard
from .serializers import (
    PROBLEMS_IN_DETAIL,
    UploadCommitSerializer,
    UploadCreateSerializer,
    UploadDetailSerializer,
    UploadProblemSerializer,
    UploadSerializer,
)

# The capability each operation needs (the first layer; restrict() and the services decide the rest).
_CAPABILITIES = {
    "list": "uploads.view_upload",
    "retrieve": "uploads.view_upload",
    "problems": "uploads.view_upload",
    "create": "uploads.add_upload",
    "commit": "uploads.change_upload",
    "cancel": "uploads.change_upload",
    "restart": "uploads.change_upload",
}


class UploadCapabilityPermission(BasePermission):
    """403 for an account whose role lacks the operation's capability, whatever upload it names."""

    def has_permission(self, request: Any, view: Any) -> bool:
        needed = _CAPABILITIES.get(getattr(view, "action", None) or "")
        return needed is None or bool(request.user.has_perm(needed))


_UUID = OpenApiParameter("uuid", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The upload's uuid.")
_DETAIL = OpenApiResponse(UploadDetailSerializer, description="The upload, its first problems and its preview.")
_ACCEPTED = OpenApiResponse(
    UploadSerializer, description="Accepted: a worker does it. Follow `url` (also the Location header)."
)
_CONFLICT = error_response("409", "The upload's state forbids this (e.g. it has errors, or is already written).")


_KIND = OpenApiParameter(
    "kind", OpenApiTypes.STR, enum=list(ProblemKind.values), description="Only errors, or only possible duplicates."
)
_SHEET = OpenApiParameter(
    "sheet", OpenApiTypes.STR, description="Only the problems of this sheet (`CSV` in a CSV file)."
)
_ROW = OpenApiParameter(
    "row", {"type": "integer", "minimum": 1}, description="Only the problems of this row, as the file numbers it."
)


def _problem_filters(request: Request) -> dict[str, Any]:
    """The problems' filters of the query (``kind``, ``sheet``, ``row``); 400 naming each one that is not valid."""
    filters: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    params = request.query_params
    if "kind" in params:
        if params["kind"] in ProblemKind.values:
            filters["kind"] = params["kind"]
        else:
            errors["kind"] = [_("Give error or duplicate.")]
    if "sheet" in params:
        try:
            ProhibitNullCharactersValidator()(params["sheet"])  # as a filter's text field refuses it
            filters["sheet"] = params["sheet"]
        except DjangoValidationError as error:
            errors["sheet"] = list(error.messages)
    if "row" in params:
        raw = params["row"].strip()
        if raw.isascii() and raw.isdigit() and int(raw) >= 1:
            filters["row"] = int(raw)
        else:
            errors["row"] = [_("Enter a whole number of at least 1.")]
    if errors:
        raise exceptions.ValidationError(errors)
    return filters


def _with_handler(request: HttpRequest) -> None:
    """Receive a multipart body's file straight to the uploads' directory, refused as soon as it passes the
    size limit (before anything, authentication included, reads the body)."""
    if request.method == "POST" and request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
        limit_upload(request, limit=services.upload_max_bytes())


@extend_schema(tags=["uploads"])
@extend_schema_view(
    list=extend_schema(
        summary="Uploads of your administration",
        description="Newest first, with their state, progress and counts (problems and preview: read one upload).",
    ),
)
class UploadViewSet(RequiredScopeMixin, viewsets.GenericViewSet[Upload]):
    """Bulk uploads of reports from a spreadsheet."""

    queryset = Upload.objects.none()  # the model, for the schema; rows come from the selectors
    serializer_class = UploadSerializer
    permission_classes = [*APIView.permission_classes, UploadCapabilityPermission]
    parser_classes = [LimitedJSONParser, MultiPartParser]
    lookup_field = "uuid"
    lookup_value_regex = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        _with_handler(request)
        return super().initialize_request(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Upload.objects.none()
        return upload_list(user=request_actor(self.request))

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = UploadSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Upload a spreadsheet of reports",
        description=(
            "Multipart: `file` (XLSX or CSV made from the template), `variant` (simplified or full), `encoding` "
            f"(CSV only: {', '.join(ENCODING_NAMES)}; detected when left out; the upload's `detected_encoding` "
            "says what the check read it as). The file is refused while it arrives once it passes the size "
            "limit (413), and by its content when it is not a workbook or a CSV (a workbook with macros, an "
            "archive bomb, an image). Answers 202: a worker reads and checks it; follow `url` to see its progress "
            "and problems. Nothing is written until it is committed."
        ),
        request={"multipart/form-data": UploadCreateSerializer},
        responses={
            202: _ACCEPTED,
            400: error_response("400", "The file is refused (its content), or a field is invalid."),
            413: error_response("413", "The file is larger than the limit."),
        },
    )
    def create(self, request: Request) -> Response:
        try:
            return self._create(request)
        finally:
            received_discard(request.FILES)  # a file refused before the service kept it is not left behind

    def _create(self, request: Request) -> Response:
        data = request.data  # the body is read here, through the handler that stops at the limit
        handlers = getattr(request._request, "upload_handlers", [])
        if any(getattr(handler, "too_large", False) for handler in handlers):
            message = services.upload_too_large_message()
            raise services.UploadTooLarge(message, extra={"file": [message]})
        body = UploadCreateSerializer(data=data)
        body.is_valid(raise_exception=True)
        file = body.validated_data["file"]
        upload = services.upload_create(
            actor=request_actor(request),
            file=file,
            name=file.name or "",
            encoding=body.validated_data.get("encoding"),
            variant=body.validated_data["variant"],
        )
        data = UploadSerializer(upload, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})

    @extend_schema(
        summary="An upload",
        description=(
            f"Its state, progress and counts, its first {PROBLEMS_IN_DETAIL} problems (in file order) and how many "
            "there are, and the preview of the first reports as they will be stored. Read every problem from "
            "`problems_url`, a page at a time."
        ),
        parameters=[_UUID],
        responses={200: _DETAIL},
    )
    def retrieve(self, request: Request, uuid: str) -> Response:
        actor = request_actor(request)
        upload = upload_get(user=actor, uuid=uuid)
        problems = upload_problems(upload=upload)
        first = list(problems[: PROBLEMS_IN_DETAIL + 1])
        total = len(first) if len(first) <= PROBLEMS_IN_DETAIL else problems.count()
        seen = upload_problems_seen(user=actor, upload=upload, problems=first[:PROBLEMS_IN_DETAIL])
        context = {"request": request, "problems": seen, "problems_total": total}
        return Response(UploadDetailSerializer(upload, context=context).data)

    @extend_schema(
        summary="An upload's problems, a page at a time",
        description=(
            "Every problem of the upload at its cell, in file order: errors (the upload cannot be committed) and "
            "possible duplicates (flagged, not refused). Filter by `kind`, `sheet` (as the file names it; `CSV` "
            "for a CSV file) and `row`. A problem at a cell of personal data has its message withheld from an "
            "account that may not see personal data."
        ),
        parameters=[_UUID, _KIND, _SHEET, _ROW],
        responses={200: UploadProblemSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def problems(self, request: Request, uuid: str) -> Response:
        actor = request_actor(request)
        upload = upload_get(user=actor, uuid=uuid)
        problems = upload_problems(upload=upload, **_problem_filters(request))
        page = self.paginate_queryset(cast(Any, problems)) or []  # the viewset's pages, of another model's rows
        seen = upload_problems_seen(user=actor, upload=upload, problems=page)
        return self.get_paginated_response(UploadProblemSerializer(seen, many=True).data)

    @extend_schema(
        summary="Commit a checked upload",
        description=(
            "Writes every report of the upload in one transaction, as drafts or (`submit`) submitted for review. "
            "Only an upload checked without errors can be committed. Answers 202: follow `url`."
        ),
        parameters=[_UUID],
        request=UploadCommitSerializer,
        responses={202: _ACCEPTED, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, uuid: str) -> Response:
        body = UploadCommitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = request_actor(request)
        upload = services.upload_commit(
            upload=upload_get(user=actor, uuid=uuid, action="change"), actor=actor, submit=body.validated_data["submit"]
        )
        data = UploadSerializer(upload, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})

    @extend_schema(
        summary="Cancel an upload before its commit",
        parameters=[_UUID],
        request=None,
        responses={200: OpenApiResponse(UploadSerializer), 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, uuid: str) -> Response:
        actor = request_actor(request)
        upload = services.upload_cancel(upload=upload_get(user=actor, uuid=uuid, action="change"), actor=actor)
        return Response(UploadSerializer(upload, context={"request": request}).data)

    @extend_schema(
        summary="Check a failed upload again",
        parameters=[_UUID],
        request=None,
        responses={202: _ACCEPTED, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def restart(self, request: Request, uuid: str) -> Response:
        actor = request_actor(request)
        upload = services.upload_restart(upload=upload_get(user=actor, uuid=uuid, action="change"), actor=actor)
        data = UploadSerializer(upload, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


_TEMPLATE_FORMATS = ("csv", "xlsx")


class _WithoutFormatOverride:
    """The settings DRF's negotiation reads (only this one), without its ``?format=`` override."""

    URL_FORMAT_OVERRIDE = None


class TemplateContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation without its ``?format=`` override: here ``format`` names the template's file type (xlsx or
    csv), which DRF would look for among the renderers (JSON only) and answer 404 for. Errors stay JSON, by Accept."""

    settings = _WithoutFormatOverride()  # type: ignore[assignment]  # the one setting it reads


class UploadTemplateView(APIView):
    """The upload templates, made from the field catalogue and the live vocabularies."""

    content_negotiation_class = TemplateContentNegotiation

    @extend_schema(
        tags=["uploads"],
        summary="Download an upload template",
        description=(
            "The blank template of the simplified or the full form, as an XLSX workbook (a sheet per part, "
            "drop-down lists of the active terms, a first sheet explaining every column) or as a CSV file (UTF-8 "
            "with a byte-order mark, one row per item). Only for an account that may upload reports."
        ),
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(_TEMPLATE_FORMATS), default="xlsx"),
            OpenApiParameter("variant", OpenApiTypes.STR, enum=list(FormVariant.values), default=DEFAULT_VARIANT),
        ],
        responses={
            (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The workbook (`format=xlsx`)."),
            (200, CSV_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV file (`format=csv`)."),
            400: error_response("400", "`format` or `variant` is not one of those listed."),
            403: error_response("403", "The account may not upload reports, or the token's scope does not allow it."),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        if not may_upload(request_actor(request)):
            raise exceptions.PermissionDenied(_("You may not upload reports."))
        file_format = request.query_params.get("format", "xlsx")
        variant = request.query_params.get("variant", DEFAULT_VARIANT)
        errors = {}
        if file_format not in _TEMPLATE_FORMATS:
            errors["format"] = [_("Give xlsx or csv.")]
        if variant not in FormVariant.values:
            errors["variant"] = [_("Give simplified or full.")]
        if errors:
            raise exceptions.ValidationError(errors)
        template = upload_template_file(file_format=file_format, variant=variant)
        response = HttpResponse(template.content, content_type=template.content_type)
        response["Content-Disposition"] = f'attachment; filename="{template.name}"'
        return response
