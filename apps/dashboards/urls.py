from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="index"),
    path("drill/", views.drill, name="drill"),
    path("<slug:key>.csv", views.panel_export, {"file_format": "csv"}, name="panel_export"),
    path("<slug:key>.xlsx", views.panel_export, {"file_format": "xlsx"}, name="panel_export_xlsx"),
]
