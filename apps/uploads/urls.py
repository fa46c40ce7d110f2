from django.urls import path

from . import views

app_name = "uploads"

urlpatterns = [
    path("", views.upload_list, name="list"),
    path("new/", views.upload_new, name="new"),
    path("template/", views.upload_template, name="template"),
    path("<uuid:uuid>/", views.upload_detail, name="detail"),
    path("<uuid:uuid>/status/", views.upload_status, name="status"),
    path("<uuid:uuid>/marked/", views.upload_marked, name="marked"),
    path("<uuid:uuid>/commit/", views.upload_commit, name="commit"),
    path("<uuid:uuid>/cancel/", views.upload_cancel, name="cancel"),
    path("<uuid:uuid>/restart/", views.upload_restart, name="restart"),
]
