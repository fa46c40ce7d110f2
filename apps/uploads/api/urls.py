"""Uploads API routes, under /api/v1/uploads/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import UploadTemplateView, UploadViewSet

router = SimpleRouter()
router.register("uploads", UploadViewSet, basename="upload")

urlpatterns = [
    # Before the router's detail route, so "template" is never read as an upload's uuid.
    path("uploads/template/", UploadTemplateView.as_view(), name="upload-template"),
    *router.urls,
]
