"""The uploads API's shapes: an upload's state, progress, counts, problems and preview (read-only), and the
inputs of sending one and committing one."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.reports.choices import FormVariant

from ..choices import DEFAULT_VARIANT, ProblemKind, UploadFormat, UploadState
from ..models import Upload, UploadProblem
from ..reading_csv import ENCODINGS, encoding_refused_message


class UploadProblemSerializer(serializers.ModelSerializer[UploadProblem]):
    """One problem at its cell, as the preview page lists it: sheet, row and column as the file shows them."""

    kind = serializers.ChoiceField(choices=ProblemKind.choices)

    class Meta:
        model = UploadProblem
        fields = ("kind", "sheet", "row", "column", "field", "national_reference", "message")
        read_only_fields = fields


class UploadSerializer(serializers.ModelSerializer[Upload]):
    """An upload: where it stands, what it found, and (once checked) what committing it would write."""

    url = serializers.SerializerMethodField()
    state = serializers.ChoiceField(choices=UploadState.choices)
    state_label = serializers.CharField(
        help_text=_("The state in words, saying what may be done next (commit, or correct the file).")
    )
    format = serializers.ChoiceField(choices=UploadFormat.choices)
    variant = serializers.ChoiceField(choices=FormVariant.choices)
    progress = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    may_commit = serializers.BooleanField()

    class Meta:
        model = Upload
        fields = (
            "uuid",
            "url",
            "original_name",
            "size",
            "sha256",
            "format",
            "encoding",
            "detected_encoding",
            "separator",
            "variant",
            "state",
            "state_label",
            "error",
            "progress",
            "counts",
            "may_commit",
            "submit_for_review",
            "created_at",
            "checked_at",
            "committed_at",
            "expires_at",
            "file_purged_at",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, upload: Upload) -> str:
        path = reverse("api:upload-detail", kwargs={"uuid": upload.uuid})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                name: {"type": "integer", "nullable": name == "rows_total"}
                for name in ("rows_read", "rows_checked", "rows_written", "rows_total")
            },
        }
    )
    def get_progress(self, upload: Upload) -> dict[str, Any]:
        return {
            "rows_read": upload.rows_read,
            "rows_checked": upload.rows_checked,
            "rows_written": upload.rows_written,
            "rows_total": upload.rows_total,
        }

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                name: {"type": "integer"}
                for name in ("new_reports", "drafts_updated", "rows_with_errors", "duplicate_candidates")
            },
        }
    )
    def get_counts(self, upload: Upload) -> dict[str, int]:
        return {
            "new_reports": upload.new_reports,
            "drafts_updated": upload.drafts_updated,
            "rows_with_errors": upload.rows_with_errors,
            "duplicate_candidates": upload.duplicate_candidates,
        }


# How many problems an upload's detail quotes: the first ones, in file order; the rest are read a page at a time
# from its problems (``problems_url``).
PROBLEMS_IN_DETAIL = 20


class UploadDetailSerializer(UploadSerializer):
    """An upload with its first problems, how many there are, where to read them all, and the preview of the first
    reports as they will be stored."""

    problems = serializers.SerializerMethodField(
        help_text=_("The first problems, in file order; read them all, a page at a time, from problems_url.")
    )
    problems_total = serializers.SerializerMethodField(help_text=_("How many problems the upload has."))
    problems_url = serializers.SerializerMethodField()
    preview = serializers.JSONField(read_only=True)

    class Meta(UploadSerializer.Meta):
        fields: tuple[str, ...] = (  # type: ignore[assignment]
            *UploadSerializer.Meta.fields,
            "problems",
            "problems_total",
            "problems_url",
            "preview",
        )
        read_only_fields: tuple[str, ...] = fields  # type: ignore[assignment]

    @extend_schema_field(UploadProblemSerializer(many=True))
    def get_problems(self, upload: Upload) -> list[dict[str, Any]]:
        problems = self.context.get("problems", [])
        return list(UploadProblemSerializer(problems, many=True).data)

    @extend_schema_field(OpenApiTypes.INT)
    def get_problems_total(self, upload: Upload) -> int:
        return int(self.context.get("problems_total", 0))

    @extend_schema_field(OpenApiTypes.URI)
    def get_problems_url(self, upload: Upload) -> str:
        path = reverse("api:upload-problems", kwargs={"uuid": upload.uuid})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class _EncodingField(serializers.ChoiceField):
    """One of the encodings offered, else refused in the words the service uses."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            raise serializers.ValidationError(encoding_refused_message(str(data)), code="invalid_choice") from None


class UploadCreateSerializer(serializers.Serializer[Any]):
    """A spreadsheet to upload (multipart)."""

    file = serializers.FileField(help_text=_("An XLSX workbook or a CSV file made from the template."))
    variant = serializers.ChoiceField(choices=FormVariant.choices, default=DEFAULT_VARIANT)
    encoding = _EncodingField(
        choices=ENCODINGS,
        required=False,
        allow_blank=True,
        help_text=_("CSV only: the file's encoding; leave out to detect it."),
    )


class UploadCommitSerializer(serializers.Serializer[Any]):
    """Commit a checked upload: its reports as drafts, or submitted for review."""

    submit = serializers.BooleanField(
        default=False, help_text=_("Submit every report for review (else they are written as drafts).")
    )
