"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from apps.reference.admin import rilo_admin_site

# The admin lets RILO administrators (not staff) manage reference data; models that apps register
# on Django's default site are adopted and stay reserved to staff.
rilo_admin_site.adopt(admin.site)

urlpatterns = [
    path("", include("apps.core.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("tenancy/", include("apps.tenancy.urls")),
    path("admin/", rilo_admin_site.urls),
]
