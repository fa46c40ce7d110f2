from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Jobs for support: their state and error, never their parameters or files."""

    list_display = ("uuid", "kind", "state", "rows_done", "rows_total", "created_at", "finished_at")
    list_filter = ("kind", "state")
    fields = ("uuid", "kind", "state", "rows_done", "rows_total", "error", "created_at", "finished_at", "expires_at")
    readonly_fields = fields

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
