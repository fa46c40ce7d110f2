"""Included by ``apps.reports.urls`` (no namespace of its own): the paths and names stay ``reports:autosave``…"""

from django.urls import path

from . import views

urlpatterns = [
    path("autosave/", views.autosave, name="autosave"),
    path("<uuid:uuid>/autosave/", views.autosave, name="autosave_report"),
    path("drafts/<uuid:key>/discard/", views.form_draft_discard_view, name="discard_form_draft"),
]
