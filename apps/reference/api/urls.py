"""Reference API routes, under /api/v1/reference/."""

from rest_framework.routers import SimpleRouter

from .views import CountryViewSet, vocabulary_endpoints

router = SimpleRouter()
for segment, viewset in vocabulary_endpoints():
    router.register(f"reference/{segment}", viewset, basename=f"reference-{segment}")
router.register("reference/countries", CountryViewSet, basename="reference-countries")

urlpatterns = router.urls
