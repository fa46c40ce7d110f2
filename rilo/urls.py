"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from apps.accounts.admin_site import rilo_admin_site

# Models that apps register on Django's default admin site are adopted (and stay staff-only).
rilo_admin_site.adopt(admin.site)

urlpatterns = [
    path("", include("apps.core.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("tenancy/", include("apps.tenancy.urls")),
    path("admin/", rilo_admin_site.urls),
]
