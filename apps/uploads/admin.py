"""Read-only admin for uploads: support staff look at states, counts and errors; changes go through the services.

Which uploads a staff account sees is decided as everywhere else, by ``Upload.objects.restrict()``: its own
administration's, if it may upload, and no other (another administration's upload is a 404). A superuser (a
platform administrator) sees every administration's uploads, for support, but not what may name a person: the
file's name, who sent and who committed it, and the preview (the rows it quotes) are shown only to a user who may
see the upload and its personal data (:func:`apps.uploads.selectors.may_see_personal_data`). The problems' messages,
which may quote a cell, are not shown here at all: the upload's page lists them, to those who may read them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from .models import PERSONAL_FIELDS, Upload
from .selectors import may_see_personal_data

# Never shown: the preview quotes the file's rows (its personal cells are left out of it, others may still name a
# person), and the upload's page shows it to its administration.
_NEVER_SHOWN = frozenset({"preview"})
_PERSONAL = PERSONAL_FIELDS["Upload"]


def _shown_fields(*, personal: bool) -> tuple[str, ...]:
    return tuple(
        field.name
        for field in Upload._meta.fields
        if field.name not in _NEVER_SHOWN and (personal or field.name not in _PERSONAL)
    )


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("uuid", "administration", "state", "format", "rows_read", "rows_with_errors", "created_at")
    list_filter = ("state", "format")
    list_select_related = ("administration",)
    search_fields = ("uuid",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Upload]:
        uploads = super().get_queryset(request)
        user: Any = request.user
        if user.is_superuser:
            return uploads
        return uploads.restrict(user, "view")  # type: ignore[attr-defined,no-any-return]

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Upload | None:
        """The upload if this account may see it, else 404 (Django's admin would redirect, saying it may have
        been deleted)."""
        upload = super().get_object(request, object_id, from_field)
        if upload is None:
            raise Http404
        return upload

    def _shows_personal_data(self, request: HttpRequest, upload: Upload | None) -> bool:
        """Whether ``request.user`` may see ``upload``'s personal fields: one of its administration's uploaders (the
        upload's own scope, which no superuser short cut widens) who may see personal data."""
        user: Any = request.user
        return bool(
            upload is not None and may_see_personal_data(user) and Upload.objects.allows(user, "view", upload.pk)
        )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return _shown_fields(personal=self._shows_personal_data(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
