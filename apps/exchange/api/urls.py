"""Exchange API routes, under /api/v1/."""

from django.urls import path

from .views import FeedView, InboundReportView

urlpatterns = [
    path("inbound/reports/", InboundReportView.as_view(), name="inbound_reports"),
    path("feed/", FeedView.as_view(), name="feed"),
]
