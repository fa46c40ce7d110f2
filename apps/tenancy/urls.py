from django.urls import path

from . import views

app_name = "tenancy"

urlpatterns = [
    path("administrations/", views.administration_list, name="administration_list"),
    path("administrations/new/", views.administration_create, name="administration_create"),
    path("administrations/<int:pk>/", views.administration_edit, name="administration_edit"),
]
