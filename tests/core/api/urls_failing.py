"""The project's URLs plus one API view that fails, to see the 500 answer (tests only)."""

from django.urls import path

from rilo.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def failing_view(request):
    raise RuntimeError("boom")


urlpatterns = [path("api/v1/failing/", failing_view), *urlpatterns]  # type: ignore[list-item]
