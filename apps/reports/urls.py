from django.urls import include, path

from .views import attachments, detail, entry, exports, lists, review, share

app_name = "reports"

urlpatterns = [
    path("", lists.report_list_view, name="list"),
    path("review/", lists.review_queue_view, name="review_queue"),
    path("export.csv", exports.report_export, {"file_format": "csv"}, name="export"),
    path("export.xlsx", exports.report_export, {"file_format": "xlsx"}, name="export_xlsx"),
    path("review/export.csv", exports.review_queue_export, {"file_format": "csv"}, name="review_queue_export"),
    path("review/export.xlsx", exports.review_queue_export, {"file_format": "xlsx"}, name="review_queue_export_xlsx"),
    path("new/", entry.report_create, name="create"),
    # The entry form's server-side copies (autosave, discard): the autosave app's views, same paths and names.
    path("", include("apps.autosave.urls")),
    path("form-row/<str:part>/", entry.form_row, name="form_row"),
    path("commodity-types/", entry.commodity_type_options, name="commodity_types"),
    path("hs-codes/", entry.hs_code_options, name="hs_codes"),
    path("countries/", entry.country_options, name="countries"),
    path("normalised-quantity/", entry.normalised_quantity, name="normalised_quantity"),
    path("<uuid:uuid>/", detail.report_detail, name="detail"),
    path("<uuid:uuid>/edit/", entry.report_edit, name="edit"),
    path("<uuid:uuid>/correct/", entry.report_correct_view, name="correct"),
    path("<uuid:uuid>/history/", detail.report_history, name="history"),
    path("<uuid:uuid>/submit/", review.report_submit_view, name="submit"),
    path("<uuid:uuid>/return/", review.report_return_view, name="return"),
    path("<uuid:uuid>/approve/", review.report_approve_view, name="approve"),
    path("<uuid:uuid>/withdraw/", review.report_withdraw_view, name="withdraw"),
    path("<uuid:uuid>/mark-duplicate/", review.report_mark_duplicate_view, name="mark_duplicate"),
    path("<uuid:uuid>/attachments/", attachments.attachment_add, name="attachment_add"),
    path("<uuid:uuid>/attachments/<int:pk>/", attachments.attachment_download, name="attachment_download"),
    path("<uuid:uuid>/shares/", share.report_share_view, name="share"),
    path("<uuid:uuid>/shares/<int:administration_id>/end/", share.report_unshare_view, name="unshare"),
    path("<uuid:uuid>/reviewers/", share.report_assign_reviewer_view, name="assign_reviewer"),
]
