"""Read-only admin for uploads: support staff look at states and errors; changes go through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("uuid", "administration", "state", "format", "rows_read", "rows_with_errors", "created_at")
    list_filter = ("state", "format")
    search_fields = ("uuid",)
    readonly_fields = [field.name for field in Upload._meta.fields]
    exclude = ("preview",)  # the rows it quotes may hold personal data

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
