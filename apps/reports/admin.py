"""Admin for joint operations (reports themselves are managed only through the services and views)."""

from __future__ import annotations

from django.contrib import admin

from .models import Operation


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "region", "starts_on", "ends_on")
    list_filter = ("region",)
    search_fields = ("code", "name")
