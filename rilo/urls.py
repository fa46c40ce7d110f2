"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag
from django.views.i18n import JavaScriptCatalog

from apps.accounts.admin_site import rilo_admin_site
from apps.accounts.middleware import two_factor_exempt
from apps.core.catalogues import compiled_catalogues_version
from rilo.api_urls import fallback_urlpatterns as api_fallback_urlpatterns

# The scripts' catalogue changes only with the compiled catalogues, and differs by language: a browser keeps one
# copy per language and asks again each time (no-cache), answered 304 while it holds the page's language. The
# stamp is read from the catalogues' contents once, so every worker process of a deployment gives the same ETag.
_CATALOGUE_VERSION = compiled_catalogues_version()
javascript_catalog = cache_control(no_cache=True)(
    etag(lambda request, **kwargs: f"{get_language()}-{_CATALOGUE_VERSION}")(JavaScriptCatalog.as_view())
)

# Models that apps register on Django's default admin site are adopted (and stay staff-only).
rilo_admin_site.adopt(admin.site)

urlpatterns = [
    path("", include("apps.core.urls")),
    # Scripts' strings (static/js/**, domain "djangojs"), loaded with <script src>: no inline script.
    path("jsi18n/", two_factor_exempt(javascript_catalog), name="javascript_catalog"),
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
