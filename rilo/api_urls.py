"""The REST API, version 1: mounted at /api/v1/ by rilo/urls.py.

Apps contribute their ``api/urls.py``; the schema and its Swagger UI (served from local assets)
live here; the last route answers any other /api/ path with a JSON 404.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.core.api.views import api_not_found

app_name = "api"

urlpatterns = [
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.reference.api.urls")),
    path("", include("apps.exchange.api.urls")),
    path("", include("apps.reports.api.urls")),
    path("", include("apps.uploads.api.urls")),
    path("", include("apps.dashboards.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from ?script, so the page needs no inline script (CSP).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
]

# Under /api/ (not only /api/v1/): mounted by rilo/urls.py.
fallback_urlpatterns = [re_path(r"^(?P<unmatched>.*)$", api_not_found, name="not_found")]
