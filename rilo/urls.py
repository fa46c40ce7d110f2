"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "RILO administration"
admin.site.site_title = "RILO"

urlpatterns = [
    path("", include("apps.core.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("tenancy/", include("apps.tenancy.urls")),
    path("reports/", include("apps.reports.urls")),
    path("admin/", admin.site.urls),
]
