"""Exchange pages, under /exchange/."""

from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("", views.partner_list, name="partner_list"),
    path("partners/new/", views.partner_create, name="partner_create"),
    path("partners/<int:pk>/", views.partner_detail, name="partner_detail"),
    path("partners/<int:pk>/edit/", views.partner_edit, name="partner_edit"),
    path("partners/<int:pk>/secret/", views.partner_rotate_secret, name="partner_rotate_secret"),
    path("partners/<int:pk>/state/", views.partner_state, name="partner_state"),
    path("partners/<int:pk>/token/", views.partner_token, name="partner_token"),
    path("partners/<int:pk>/policy/", views.policy_list, name="policy_list"),
    path("partners/<int:pk>/policy/new/", views.policy_edit, name="policy_edit"),
    path("partners/<int:pk>/deliveries/", views.delivery_list, name="delivery_list"),
    path("partners/<int:pk>/replay/", views.partner_replay_since, name="partner_replay_since"),
    path("deliveries/<int:pk>/replay/", views.delivery_replay, name="delivery_replay"),
    path("partners/<int:pk>/agreements/new/", views.agreement_request, name="agreement_request"),
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/<int:pk>/<slug:decision>/", views.agreement_decide, name="agreement_decide"),
    path("reports/", views.timeline_search, name="timeline_search"),
    path("reports/<uuid:report_uuid>/", views.timeline, name="timeline"),
]
