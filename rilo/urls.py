"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from apps.accounts.admin_site import rilo_admin_site
from apps.accounts.middleware import two_factor_exempt
from rilo.api_urls import fallback_urlpatterns as api_fallback_urlpatterns

# Models that apps register on Django's default admin site are adopted (and stay staff-only).
rilo_admin_site.adopt(admin.site)

urlpatterns = [
    path("", include("apps.core.urls")),
    # Scripts' strings (static/js/**, domain "djangojs"), loaded with <script src>: no inline script.
    path("jsi18n/", two_factor_exempt(JavaScriptCatalog.as_view()), name="javascript_catalog"),
    path("accounts/", include("apps.accounts.urls")),
    path("tenancy/", include("apps.tenancy.urls")),
    path("reports/", include("apps.reports.urls")),
    path("audit/", include("apps.audit.urls")),
    path("exchange/", include("apps.exchange.urls")),
    path("jobs/", include("apps.jobs.urls")),
    path("uploads/", include("apps.uploads.urls")),
    path("dashboards/", include("apps.dashboards.urls")),
    path("admin/", rilo_admin_site.urls),
    path("api/v1/", include("rilo.api_urls")),
    path("api/", include(api_fallback_urlpatterns)),
]

# JSON under /api/, Django's pages elsewhere.
handler400 = "apps.core.api.views.bad_request"
handler403 = "apps.core.api.views.permission_denied"
handler404 = "apps.core.api.views.page_not_found"
handler500 = "apps.core.api.views.server_error"
