from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list_view, name="list"),
    path("review/", views.review_queue_view, name="review_queue"),
    path("export.csv", views.report_export, name="export"),
    path("review/export.csv", views.review_queue_export, name="review_queue_export"),
    path("new/", views.report_create, name="create"),
    path("autosave/", views.autosave, name="autosave"),
    path("drafts/<uuid:key>/discard/", views.form_draft_discard_view, name="discard_form_draft"),
    path("form-row/<str:part>/", views.form_row, name="form_row"),
    path("commodity-types/", views.commodity_type_options, name="commodity_types"),
    path("hs-codes/", views.hs_code_options, name="hs_codes"),
    path("countries/", views.country_options, name="countries"),
    path("normalised-quantity/", views.normalised_quantity, name="normalised_quantity"),
    path("<uuid:uuid>/", views.report_detail, name="detail"),
    path("<uuid:uuid>/edit/", views.report_edit, name="edit"),
    path("<uuid:uuid>/correct/", views.report_correct_view, name="correct"),
    path("<uuid:uuid>/autosave/", views.autosave, name="autosave_report"),
    path("<uuid:uuid>/history/", views.report_history, name="history"),
    path("<uuid:uuid>/submit/", views.report_submit_view, name="submit"),
    path("<uuid:uuid>/return/", views.report_return_view, name="return"),
    path("<uuid:uuid>/approve/", views.report_approve_view, name="approve"),
    path("<uuid:uuid>/withdraw/", views.report_withdraw_view, name="withdraw"),
    path("<uuid:uuid>/mark-duplicate/", views.report_mark_duplicate_view, name="mark_duplicate"),
    path("<uuid:uuid>/attachments/", views.attachment_add, name="attachment_add"),
    path("<uuid:uuid>/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]
