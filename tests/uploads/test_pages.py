"""The upload pages as an officer uses them: upload a file, follow its check, read the problems at their cells and
the preview, then save the reports (as drafts or submitted for review) or cancel; refusals said clearly, nothing
written before the commit, every form behind its CSRF token.

The check and the commit run here by calling the worker's task bodies (the services a Celery task calls) in the
test's process; tests/uploads/test_browser.py runs the whole path with a real worker.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopFutureHandlers, StopUpload
from django.test import Client
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from apps.uploads import selectors
from apps.uploads.choices import DEFAULT_VARIANT, UploadState
from apps.uploads.columns import csv_columns, sheet_title
from apps.uploads.committing import upload_commit_run
from apps.uploads.models import Upload
from apps.uploads.services import upload_check, upload_too_large_message
from apps.uploads.storage import LimitedUploadHandler, received_discard
from apps.uploads.views import PAGE_SIZE
from tests.builders import make_vocabulary
from tests.helpers import bearer, sign_in

pytestmark = pytest.mark.django_db

SEIZED = (dt.date.today() - dt.timedelta(days=5)).isoformat()


@pytest.fixture(autouse=True)
def uploads_root(settings: Any, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    return Path(settings.RILO_UPLOADS_ROOT)


@pytest.fixture
def vocab(db: None) -> Any:
    return make_vocabulary()


@pytest.fixture
def officer(client: Client, alice: User, vocab: Any) -> Client:
    sign_in(client, alice)
    return client


def simplified_csv(*rows: dict[str, str], separator: str = ",") -> bytes:
    """A CSV of the simplified template's columns (their keys as headers), one line per item row."""
    keys = [column.key for column in csv_columns(variant="simplified")]
    lines = [separator.join(keys)]
    lines += [separator.join(row.get(key, "") for key in keys) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def item(reference: str, **values: str) -> dict[str, str]:
    row = {
        "national_reference": reference,
        "kind": "seizure",
        "country_of_seizure": "FR",
        "seizure_date": SEIZED,
        "transport_mode": "1",
        "detection_methods": "xray",
        "commodity_category": "drugs",
        "commodity_type": "cocaine",
        "quantity": "12.5",
        "unit": "KGM",
    }
    row.update(values)
    return row


def post_file(client: Client, content: bytes, *, name: str = "seizures.csv", **fields: str) -> Any:
    data = {"file": SimpleUploadedFile(name, content), "variant": "simplified", "encoding": "", **fields}
    return client.post(reverse("uploads:new"), data)


def uploaded_and_checked(client: Client, content: bytes, **fields: str) -> Upload:
    response = post_file(client, content, **fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    upload = Upload.objects.get()
    assert response["Location"] == reverse("uploads:detail", args=[upload.uuid])
    assert upload_check(upload_id=upload.pk) == "checked"
    upload.refresh_from_db()
    return upload


def page_of(client: Client, upload: Upload) -> str:
    response = client.get(reverse("uploads:detail", args=[upload.uuid]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_upload_page_offers_the_file_the_encodings_the_variants_and_the_templates(officer):
    page = officer.get(reverse("uploads:new")).content.decode()
    assert 'enctype="multipart/form-data"' in page and "csrfmiddlewaretoken" in page
    offered = (("", "Detect from the file"), ("utf-8", "UTF-8"), ("utf-16", "UTF-16"), ("windows-1252", "1252"))
    for value, label in offered:
        assert f'<option value="{value}"' in page and label in page
    assert 'value="simplified"' in page and 'value="full"' in page
    assert f'action="{reverse("uploads:template")}"' in page and 'value="csv"' in page and 'value="xlsx"' in page
    assert "50 MB" in page and "200,000 rows" in page


def test_a_file_with_errors_shows_each_at_its_cell_and_nothing_is_written(officer):
    upload = uploaded_and_checked(
        officer, simplified_csv(item("FR-UP-1"), item("FR-UP-2", unit="kgs"), item("FR-UP-3", quantity="lots"))
    )
    assert upload.state == UploadState.CHECKED and upload.rows_with_errors == 2
    page = page_of(officer, upload)
    assert "Errors at their cells" in page
    table = page[
        page.index('<table class="problems">') : page.index("</table>", page.index('<table class="problems">'))
    ]
    cells = list(upload.problems.filter(kind="error"))
    assert len(cells) == 2
    for problem in cells:
        assert f'<td data-label="Row">{problem.row}</td>' in table
        assert f'<td data-label="Column">{problem.column}</td>' in table
        assert problem.message.replace("'", "&#x27;").replace('"', "&quot;") in table
    assert {problem.row for problem in cells} == {3, 4}  # the header is row 1, as a spreadsheet shows it
    assert "kgs" in table
    assert reverse("uploads:commit", args=[upload.uuid]) not in page  # nothing to commit while errors remain
    assert "Upload the corrected file" in page
    response = officer.post(reverse("uploads:commit", args=[upload.uuid]), {"commit_as": "drafts"})
    assert response.status_code == 302
    assert "has errors" in officer.get(response["Location"]).content.decode()
    assert Upload.objects.get().state == UploadState.CHECKED
    assert not Report.objects.exists()


def test_a_clean_file_is_previewed_then_saved_as_drafts(officer, alice):
    upload = uploaded_and_checked(
        officer, simplified_csv(item("FR-UP-1"), item("FR-UP-1", quantity="3"), item("FR-UP-2"))
    )
    assert (upload.new_reports, upload.rows_with_errors) == (2, 0)
    page = page_of(officer, upload)
    assert "FR-UP-1" in page and "FR-UP-2" in page and "new report" in page
    assert "Country of seizure" in page and "Quantity" in page and "12.5" in page  # labels from the catalogue
    assert "Save 2 reports" in page and 'value="drafts"' in page and 'value="submit"' in page
    assert not Report.objects.exists()  # nothing written before the commit

    response = officer.post(reverse("uploads:commit", args=[upload.uuid]), {"commit_as": "drafts"})
    assert response.status_code == 302
    upload.refresh_from_db()
    assert upload.state == UploadState.COMMITTING and not upload.submit_for_review
    assert "hx-get" in page_of(officer, upload)  # the page follows the commit
    assert upload_commit_run(upload_id=upload.pk) == "committed"
    page = page_of(officer, upload)
    assert "2 reports created" in page and f'href="{reverse("reports:list")}"' in page
    assert "hx-get" not in page and reverse("uploads:cancel", args=[upload.uuid]) not in page
    reports = Report.objects.order_by("national_reference")
    assert [(r.national_reference, r.status, r.administration_id) for r in reports] == [
        ("FR-UP-1", ReportStatus.DRAFT, alice.administration_id),
        ("FR-UP-2", ReportStatus.DRAFT, alice.administration_id),
    ]
    assert reports[0].items.count() == 2


def test_the_officer_may_submit_the_reports_for_review_when_saving_them(officer):
    upload = uploaded_and_checked(officer, simplified_csv(item("FR-UP-9")))
    officer.post(reverse("uploads:commit", args=[upload.uuid]), {"commit_as": "submit"})
    assert upload_commit_run(upload_id=upload.pk) == "committed"
    assert Report.objects.get().status == ReportStatus.SUBMITTED
    assert "submitted for review" in page_of(officer, upload)


def test_reports_incomplete_for_review_are_not_submitted_and_the_page_says_why(officer):
    upload = uploaded_and_checked(officer, simplified_csv(item("FR-UP-9", transport_mode="")))
    assert upload.rows_with_errors == 0  # a draft may lack the mode of transport
    officer.post(reverse("uploads:commit", args=[upload.uuid]), {"commit_as": "submit"})
    assert upload_commit_run(upload_id=upload.pk) == "changed"
    page = page_of(officer, upload)
    assert "Nothing was saved" in page and "Mode of transport" in page
    assert reverse("uploads:commit", args=[upload.uuid]) not in page
    assert not Report.objects.exists()


def test_a_commit_without_a_choice_is_refused_on_the_page_saying_what_to_choose(officer):
    upload = uploaded_and_checked(officer, simplified_csv(item("FR-UP-1")))
    response = officer.post(reverse("uploads:commit", args=[upload.uuid]), {"commit_as": "everything"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Upload.objects.get().state == UploadState.CHECKED and not Report.objects.exists()


def test_an_upload_cancelled_before_its_commit_writes_nothing_and_says_so(officer):
    upload = uploaded_and_checked(officer, simplified_csv(item("FR-UP-1")))
    response = officer.post(reverse("uploads:cancel", args=[upload.uuid]))
    assert response.status_code == 302
    page = officer.get(response["Location"]).content.decode()
    assert "Cancelled: nothing was saved." in page
    assert reverse("uploads:commit", args=[upload.uuid]) not in page
    response = officer.post(reverse("uploads:commit", args=[upload.uuid]), {"commit_as": "drafts"})
    assert "only a checked upload can be committed" in officer.get(response["Location"]).content.decode()
    assert Upload.objects.get().state == UploadState.CANCELLED and not Report.objects.exists()
    assert AuditEvent.objects.filter(action="upload.cancel", object_uuid=upload.uuid).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not"),
        ("macros.xlsm", b"PK\x03\x04" + b"\x00" * 64, ""),
    ],
)
def test_a_file_that_cannot_be_taken_is_refused_on_the_form_and_nothing_is_kept(
    officer, uploads_root, name, content, message
):
    response = post_file(officer, content, name=name)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page and message in page
    assert '<div class="field field--error" id="field-file">' in page  # the refusal is said at the file's field
    assert not Upload.objects.exists()
    assert not [path for path in uploads_root.rglob("*") if path.is_file()]


def test_a_form_without_a_file_says_to_choose_one(officer):
    response = officer.post(reverse("uploads:new"), {"variant": "full"})
    assert response.status_code == 400
    assert "Choose the spreadsheet to upload." in response.content.decode()
    assert not Upload.objects.exists()


@pytest.mark.parametrize("extra", [10_000, 1024 * 1024])
def test_a_file_past_the_size_limit_is_refused_with_the_limit_in_words(officer, settings, uploads_root, extra):
    """Just past the limit the file is read until it passes it; far past it the declared length refuses it unread."""
    settings.RILO_UPLOAD_MAX_BYTES = 1024 * 1024
    response = post_file(officer, b"x" * (1024 * 1024 + extra))
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    assert not Upload.objects.exists()
    assert not [path for path in uploads_root.rglob("*") if path.is_file()]


def test_the_size_limit_stops_reading_the_file_at_the_chunk_that_passes_it(uploads_root):
    handler = LimitedUploadHandler(limit=100)
    with pytest.raises(StopFutureHandlers):  # the handler keeps the file itself: no other handler gets its bytes
        handler.new_file("file", "seizures.csv", "text/csv", None)
    assert handler.receive_data_chunk(b"x" * 60, 0) is None
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 60, 60)
    assert handler.too_large
    assert not [path for path in uploads_root.rglob("*") if path.is_file()]  # the 60 bytes kept are deleted


def test_the_files_of_one_body_share_the_size_limit(uploads_root):
    handler = LimitedUploadHandler(limit=100)
    with pytest.raises(StopFutureHandlers):
        handler.new_file("file", "seizures.csv", "text/csv", None)
    handler.receive_data_chunk(b"x" * 60, 0)
    first = handler.file_complete(60)
    assert first is not None and first.size == 60
    with pytest.raises(StopFutureHandlers):
        handler.new_file("other", "more.csv", "text/csv", None)

    with pytest.raises(StopUpload):  # 60 more bytes: each file under the limit, the two past it
        handler.receive_data_chunk(b"x" * 60, 0)

    assert handler.too_large
    assert [path.name for path in uploads_root.rglob("*") if path.is_file()] == [first.received.path.name]
    received_discard(MultiValueDict({"file": [first]}))  # the view deletes what the request received
    assert not [path for path in uploads_root.rglob("*") if path.is_file()]


def test_the_page_and_the_api_refuse_a_file_past_the_limit_in_the_same_words(
    officer, settings, api, alice, issue_token
):
    settings.RILO_UPLOAD_MAX_BYTES = 1024 * 1024
    page = post_file(officer, b"x" * (1024 * 1024 + 10_000))
    answer = api.post(
        reverse("api:upload-list"),
        {"file": SimpleUploadedFile("seizures.csv", b"x" * (1024 * 1024 + 10_000)), "variant": "simplified"},
        format="multipart",
        **bearer(issue_token(alice, "read", "write")),
    )
    assert page.status_code == answer.status_code == 413
    assert upload_too_large_message() in page.content.decode()
    assert answer.json()["message"] == upload_too_large_message()
    assert not Upload.objects.exists()


def test_a_file_the_form_refuses_is_not_left_on_disk(officer, uploads_root):
    response = post_file(officer, simplified_csv(item("FR-UP-1")), variant="neither")
    assert response.status_code == 400 and "neither" in response.content.decode()
    assert not Upload.objects.exists()
    assert not [path for path in uploads_root.rglob("*") if path.is_file()]


def test_every_form_of_the_upload_pages_needs_its_csrf_token(alice, vocab):
    strict = Client(enforce_csrf_checks=True)
    sign_in(strict, alice)
    upload = Upload.objects.create(
        administration=alice.administration, uploaded_by=alice, original_name="x.csv", format="csv",
        state=UploadState.CHECKED, new_reports=1, file_name="x.csv",
    )  # fmt: skip
    data = {"file": SimpleUploadedFile("seizures.csv", simplified_csv(item("FR-CSRF-1"))), "variant": "simplified"}
    assert strict.post(reverse("uploads:new"), data).status_code == 403
    for name in ("commit", "cancel", "restart"):
        assert strict.post(reverse(f"uploads:{name}", args=[upload.uuid]), {"commit_as": "drafts"}).status_code == 403
    assert Upload.objects.count() == 1 and Upload.objects.get().state == UploadState.CHECKED
    assert not Report.objects.exists()


def test_the_progress_refreshes_itself_for_a_while_and_has_a_link_without_javascript(officer, settings):
    settings.RILO_JOBS_POLL_SECONDS = 15 * 60
    post_file(officer, simplified_csv(item("FR-UP-1")))
    upload = Upload.objects.get()
    page = page_of(officer, upload)
    assert upload.state == UploadState.QUEUED
    assert 'hx-trigger="every 2s"' in page and f"/uploads/{upload.uuid}/status/?opened=" in page
    assert "&amp;shown=queued" in page
    assert f'<a href="{reverse("uploads:detail", args=[upload.uuid])}">Refresh</a>' in page  # no script needed
    assert "You may leave this page" in page
    status = reverse("uploads:status", args=[upload.uuid])
    recent = int(time.time()) - 60
    fragment = officer.get(status, {"opened": recent, "shown": "queued"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'hx-trigger="every 2s"' in fragment.content.decode()
    stale = int(time.time()) - 15 * 60 - 1
    fragment = officer.get(status, {"opened": stale, "shown": "queued"}).content.decode()
    assert "hx-get" not in fragment and "no longer refreshes itself" in fragment

    upload_check(upload_id=upload.pk)  # the state changed: the page reloads itself whole to show the preview
    refreshed = officer.get(status, {"opened": recent, "shown": "queued"}, headers={"HX-Request": "true"})
    assert refreshed["HX-Refresh"] == "true"
    page = page_of(officer, upload)
    assert "hx-get" not in page and "Save 1 report" in page


NOSCRIPT_REFRESH = re.compile(r'<noscript><meta http-equiv="refresh" content="5; url=([^"]+)"></noscript>')


def test_without_javascript_a_working_upload_reloads_its_page_for_a_while_and_a_finished_one_does_not(
    officer, settings
):
    settings.RILO_JOBS_POLL_SECONDS = 15 * 60
    post_file(officer, simplified_csv(item("FR-UP-1")))
    upload = Upload.objects.get()
    detail = reverse("uploads:detail", args=[upload.uuid])

    head = page_of(officer, upload).split("</head>")[0]

    found = NOSCRIPT_REFRESH.search(head)
    assert found, head
    reload = html.unescape(found.group(1))
    assert reload.startswith(f"{detail}?opened=")
    again = NOSCRIPT_REFRESH.search(officer.get(reload).content.decode().split("</head>")[0])
    assert again and again.group(1) == found.group(1)  # the while runs from the first opening
    stale = officer.get(detail, {"opened": int(time.time()) - 15 * 60 - 1}).content.decode()
    assert not NOSCRIPT_REFRESH.search(stale) and "no longer refreshes itself" in stale  # then the link alone
    upload_check(upload_id=upload.pk)
    assert not NOSCRIPT_REFRESH.search(page_of(officer, upload))
    assert not NOSCRIPT_REFRESH.search(officer.get(reload).content.decode())


def scrollable_tables(page: str) -> list[str]:
    """The captions' ids of the page's wide tables, each wrapped in a region a keyboard can focus and scroll."""
    labels = []
    for attributes in re.findall(r'<div class="table-wrap[^"]*"([^>]*)>', page):
        assert 'tabindex="0"' in attributes and 'role="region"' in attributes, attributes
        label = re.search(r'aria-labelledby="([^"]+)"', attributes)
        assert label and f'<caption id="{label.group(1)}"' in page, attributes
        labels.append(label.group(1))
    assert len(set(labels)) == len(labels)
    return labels


def test_the_wide_tables_are_regions_a_keyboard_can_scroll(officer):
    # Two rows alike (possible duplicates of each other) and one with an error.
    content = simplified_csv(item("FR-UP-1"), item("FR-UP-2"), item("FR-UP-3", unit="kgs"))
    with_problems = uploaded_and_checked(officer, content)
    assert with_problems.duplicate_candidates and with_problems.rows_with_errors
    labels = scrollable_tables(page_of(officer, with_problems))
    assert labels == ["errors-caption", "duplicates-caption", "preview-1-items", "preview-2-items"]
    Upload.objects.all().delete()
    clean = uploaded_and_checked(officer, simplified_csv(item("FR-UP-4"), item("FR-UP-5", quantity="3")))
    assert scrollable_tables(page_of(officer, clean)) == ["preview-1-items", "preview-2-items"]
    assert scrollable_tables(officer.get(reverse("uploads:list")).content.decode()) == ["uploads-caption"]


def test_a_failed_upload_says_why_and_can_be_checked_again(officer):
    post_file(officer, simplified_csv(item("FR-UP-1")))
    upload = Upload.objects.get()
    Upload.objects.filter(pk=upload.pk).update(state=UploadState.FAILED, error="The server stopped 3 times.")
    page = page_of(officer, upload)
    assert "The upload failed" in page and "The server stopped 3 times." in page
    response = officer.post(reverse("uploads:restart", args=[upload.uuid]))
    assert response.status_code == 302
    assert "being checked again" in officer.get(response["Location"]).content.decode()
    assert Upload.objects.get().state == UploadState.QUEUED


def test_the_list_shows_the_administrations_uploads_a_page_at_a_time(officer, alice, cora):
    for number in range(PAGE_SIZE + 5):
        by = alice if number % 2 else cora
        Upload.objects.create(
            administration=by.administration, uploaded_by=by, original_name=f"file-{number:02}.csv", format="csv",
            state=UploadState.COMMITTED, new_reports=number,
        )  # fmt: skip
    first = officer.get(reverse("uploads:list")).content.decode()
    assert "More than" not in first and f"{PAGE_SIZE + 5} uploads" in first
    assert first.count("<tr>") == PAGE_SIZE + 1  # the header and a page of rows, newest first
    assert "file-29.csv" in first and "file-04.csv" not in first
    assert 'rel="next"' in first and "Cora" in first
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = officer.get(reverse("uploads:list") + next_url).content.decode()
    assert second.count("<tr>") == 5 + 1 and "file-04.csv" in second and "file-00.csv" in second
    assert "29 reports created" not in second and 'rel="prev"' in second
    assert officer.get(reverse("uploads:list"), {"cursor": "not-a-cursor"}).status_code == 302


def test_the_menu_offers_bulk_upload_to_an_officer(officer):
    home = officer.get(reverse("core:home")).content.decode()
    assert f'href="{reverse("uploads:list")}"' in home and "Bulk upload" in home


@pytest.mark.parametrize("variant", ["simplified", "full"])
def test_the_templates_are_downloaded_as_a_workbook_or_a_csv_file_of_either_form(officer, variant):
    workbook = officer.get(reverse("uploads:template"), {"format": "xlsx", "variant": variant})
    assert workbook.status_code == 200
    assert workbook["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert workbook["Content-Disposition"] == f'attachment; filename="rilo-reports-{variant}.xlsx"'
    assert workbook["X-Content-Type-Options"] == "nosniff"
    sheets = openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames
    assert sheets[0] == "Read me" and sheet_title("report") in sheets and sheet_title("item") in sheets
    assert (sheet_title("party") in sheets) == (variant == "full")

    text = officer.get(reverse("uploads:template"), {"format": "csv", "variant": variant})
    assert text.status_code == 200 and text["Content-Type"].startswith("text/csv")
    assert text["Content-Disposition"] == f'attachment; filename="rilo-reports-{variant}.csv"'
    header = text.content.decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == [str(column.header) for column in csv_columns(variant=variant)]


def test_a_template_asked_for_in_a_format_that_does_not_exist_is_refused_saying_so(officer):
    response = officer.get(reverse("uploads:template"), {"format": "pdf", "variant": "full"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page and "Select a valid choice" in page


def test_the_marked_workbook_comments_each_faulty_cell_lists_the_errors_and_is_audited(officer, alice):
    upload = uploaded_and_checked(officer, simplified_csv(item("FR-UP-1"), item("FR-UP-2", unit="kgs")))
    page = page_of(officer, upload)
    assert f'href="{reverse("uploads:marked", args=[upload.uuid])}"' in page
    response = officer.get(reverse("uploads:marked", args=[upload.uuid]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="seizures-errors.xlsx"'
    assert response["Cache-Control"] == "private, no-store"
    assert response.streaming  # from a temporary file, never held whole
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    problem = upload.problems.get(kind="error")
    assert problem.row is not None
    errors = [row for row in workbook["Errors"].iter_rows(values_only=True) if any(row)]
    assert [str(value) for value in errors[-1][:3]] == [problem.sheet, str(problem.row), problem.column]
    data = workbook[problem.sheet]
    keys = [cell.value for cell in data[1]]
    faulty = data.cell(row=problem.row, column=keys.index("unit") + 1)
    assert faulty.value == "kgs" and faulty.comment is not None and "kgs" in faulty.comment.text
    event = AuditEvent.objects.get(action="upload.marked_download")
    assert (event.actor_id, event.object_uuid, event.detail["errors"]) == (alice.pk, upload.uuid, 1)


def test_a_marked_workbook_is_not_offered_once_the_file_is_deleted(officer):
    upload = uploaded_and_checked(officer, simplified_csv(item("FR-UP-2", unit="kgs")))
    Upload.objects.filter(pk=upload.pk).update(file_name="")
    upload.refresh_from_db()
    assert reverse("uploads:marked", args=[upload.uuid]) not in page_of(officer, upload)
    response = officer.get(reverse("uploads:marked", args=[upload.uuid]))
    assert response.status_code == 302
    assert "no longer kept" in officer.get(response["Location"]).content.decode()
    assert not AuditEvent.objects.filter(action="upload.marked_download").exists()


def test_a_checked_upload_says_on_the_list_the_page_and_the_api_what_the_officer_can_do(
    officer, alice, api, issue_token
):
    post_file(officer, simplified_csv(item("FR-UP-1"), item("FR-UP-2", unit="kgs"), item("FR-UP-3", quantity="lots")))
    post_file(officer, simplified_csv(item("FR-UP-4")))
    with_errors, clean = Upload.objects.order_by("pk")
    for upload in (with_errors, clean):
        assert upload_check(upload_id=upload.pk) == "checked"
    wrong = "Checked: 2 rows with errors, correct the file and upload it again"
    ready = "Checked: ready to commit"

    listed = officer.get(reverse("uploads:list")).content.decode()
    assert listed.count(wrong) == 1 and listed.count(ready) == 1
    assert wrong in page_of(officer, with_errors) and ready not in page_of(officer, with_errors)
    assert ready in page_of(officer, clean) and "rows with errors, correct" not in page_of(officer, clean)
    auth = bearer(issue_token(alice, "read"))
    answers = {row["uuid"]: row for row in api.get(reverse("api:upload-list"), **auth).json()["results"]}
    assert answers[str(with_errors.uuid)]["state"] == answers[str(clean.uuid)]["state"] == "checked"
    assert answers[str(with_errors.uuid)]["state_label"] == wrong
    assert api.get(reverse("api:upload-detail", args=[clean.uuid]), **auth).json()["state_label"] == ready

    Upload.objects.filter(pk=clean.pk).update(file_name="")  # its file deleted after the retention
    assert "Checked: the file is no longer kept, upload it again" in page_of(officer, clean)


def test_the_list_page_and_the_api_reach_every_upload_past_a_hundred_in_the_selectors_order(
    officer, alice, cora, bob, api, issue_token
):
    made = Upload.objects.bulk_create(
        Upload(
            administration=by.administration, uploaded_by=by, original_name=f"file-{number:03}.csv", format="csv",
            state=UploadState.COMMITTED,
        )
        for number, by in enumerate([alice, cora] * 52 + [bob])
    )  # fmt: skip
    Upload.objects.update(created_at=Upload.objects.get(pk=made[0].pk).created_at)  # one instant: -pk decides
    expected = [str(uuid) for uuid in selectors.upload_list(user=alice).values_list("uuid", flat=True)]
    assert len(expected) == 104 and str(made[-1].uuid) not in expected  # Germany's upload is not France's

    listed: list[str] = []
    url = reverse("uploads:list")
    while url:
        page = officer.get(url).content.decode()
        listed += re.findall(r'href="/uploads/([0-9a-f-]{36})/"', page)
        following = re.search(r'href="([^"]+)" rel="next"', page)
        url = reverse("uploads:list") + following.group(1).replace("&amp;", "&") if following else ""
    assert listed == expected

    auth = bearer(issue_token(alice, "read"))
    answered: list[str] = []
    api_url = reverse("api:upload-list") + "?page_size=30"
    while api_url:
        body = api.get(api_url, **auth).json()
        answered += [row["uuid"] for row in body["results"]]
        api_url = body["next"]
    assert answered == expected


def test_the_upload_form_the_template_download_and_the_api_start_from_one_variant(officer, alice, api, issue_token):
    page = officer.get(reverse("uploads:new")).content.decode()
    checked = set(re.findall(r'<input type="radio" name="variant" value="(\w+)"[^>]*\bchecked\b', page))
    assert checked == {DEFAULT_VARIANT}  # the upload form and the template form start from it alike

    downloaded = officer.get(reverse("uploads:template"))
    assert downloaded["Content-Disposition"] == f'attachment; filename="rilo-reports-{DEFAULT_VARIANT}.xlsx"'
    auth = bearer(issue_token(alice, "read", "write"))
    answered = api.get(reverse("api:upload-template"), **auth)
    assert answered.status_code == 200 and answered["Content-Disposition"] == downloaded["Content-Disposition"]
    sent = api.post(
        reverse("api:upload-list"),
        {"file": SimpleUploadedFile("seizures.csv", simplified_csv(item("FR-UP-1")))},
        format="multipart",
        **auth,
    )
    assert sent.status_code == 202 and sent.json()["variant"] == DEFAULT_VARIANT
