from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list_view, name="list"),
    path("<uuid:uuid>/", views.job_detail, name="detail"),
    path("<uuid:uuid>/status/", views.job_status, name="status"),
    path("<uuid:uuid>/file/", views.job_file, name="file"),
]
