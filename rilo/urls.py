"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from apps.accounts.admin_site import RiloAdminSite

# Every admin page needs a session verified with a two-factor code (django-otp's OTPAdminSite).
admin.site.__class__ = RiloAdminSite
admin.site.site_header = "RILO administration"
admin.site.site_title = "RILO"

urlpatterns = [
    path("", include("apps.core.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("tenancy/", include("apps.tenancy.urls")),
    path("admin/", admin.site.urls),
]
