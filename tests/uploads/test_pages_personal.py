"""Personal data in what an upload shows: the preview, the problems at their cells and the marked workbook.

The preview never holds the fields shown only with the right to see personal data (persons and companies, the
modus operandi, a conveyance's identifier, a concealment's detail). A problem at one of their cells may quote what
was typed there: its message is withheld from a user without that right (on the page and in the API), and its
read is audited for a user with it. The marked workbook is the sender's whole file: only for a user with the right.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.uploads.columns import csv_columns
from apps.uploads.models import Upload
from apps.uploads.services import upload_check
from tests.builders import make_vocabulary
from tests.helpers import bearer, sign_in

from .engine import without_personal_data

pytestmark = pytest.mark.django_db

SEIZED = (dt.date.today() - dt.timedelta(days=5)).isoformat()
# What the sender typed in cells of personal data: none of it may reach a user without the right to see it.
TYPED_NAME = "Jean-Baptiste Dupont"
TYPED_DOCUMENT = "XK4471923"
TYPED_HOW = "inside a hollowed suitcase lining"
TYPED_PLATE = "AB-123-CD"


@pytest.fixture(autouse=True)
def uploads_root(settings: Any, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    make_vocabulary()
    return Path(settings.RILO_UPLOADS_ROOT)


def full_csv(*rows: dict[str, str]) -> bytes:
    keys = [column.key for column in csv_columns(variant="full")]
    lines = [",".join(keys), *(",".join(row.get(key, "") for key in keys) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def row(reference: str, **values: str) -> dict[str, str]:
    cells = {
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
    cells.update(values)
    return cells


@pytest.fixture
def checked(client: Client, alice: User) -> Upload:
    """Alice's upload whose person's nationality holds a name and whose document type holds a number (quoted by
    the errors), with a modus operandi and a plate typed in the restricted columns."""
    sign_in(client, alice)
    content = full_csv(
        row(
            "FR-PD-1",
            modus_operandi=TYPED_HOW,
            conveyance_1_transport_mode="3",
            conveyance_1_identifier=TYPED_PLATE,
            party_1_kind="person",
            party_1_role="suspect",
            party_1_family_name="Dupont",
            party_1_nationality=TYPED_NAME,
            party_1_id_document_type=TYPED_DOCUMENT,
        ),
        row("FR-PD-2", unit="kgs"),
    )
    response = client.post(
        reverse("uploads:new"), {"file": SimpleUploadedFile("seizures.csv", content), "variant": "full"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    upload = Upload.objects.get()
    assert upload_check(upload_id=upload.pk) == "checked"
    upload.refresh_from_db()
    messages = " ".join(upload.problems.values_list("message", flat=True))
    assert TYPED_NAME in messages and TYPED_DOCUMENT in messages  # what the check found quotes them
    return upload


def personal_reads(upload: Upload) -> int:
    return AuditEvent.objects.filter(action="upload.personal_read", object_uuid=upload.uuid).count()


def test_a_user_without_the_right_sees_where_the_personal_cells_are_wrong_but_not_what_was_typed(
    checked, cora, api, issue_token
):
    cora = without_personal_data(cora)
    browser = Client()
    sign_in(browser, cora)
    page = browser.get(reverse("uploads:detail", args=[checked.uuid])).content.decode()
    auth = bearer(issue_token(cora, "read"))
    body = api.get(reverse("api:upload-detail", args=[checked.uuid]), **auth)
    assert body.status_code == 200
    answered = body.content.decode()
    listed = api.get(reverse("api:upload-problems", args=[checked.uuid]), **auth)
    assert listed.status_code == 200

    for shown in (page, answered, listed.content.decode()):
        assert TYPED_NAME not in shown and TYPED_DOCUMENT not in shown
        assert TYPED_HOW not in shown and TYPED_PLATE not in shown
        assert "kgs" in shown  # a problem of a non-personal cell keeps its message
        assert "holds personal data, which you may not see" in shown
    withheld = [problem for problem in body.json()["problems"] if "may not see" in problem["message"]]
    assert {problem["column"] for problem in withheld} == {"party_1_nationality", "party_1_id_document_type"}
    assert all(problem["row"] == 2 for problem in withheld)  # where to look stays
    assert personal_reads(checked) == 0  # nothing personal was read
    assert checked.problems.filter(message__contains=TYPED_NAME).exists()  # withheld when shown, never changed


def test_a_user_without_the_right_is_not_offered_nor_given_the_marked_workbook(checked, cora):
    cora = without_personal_data(cora)
    browser = Client()
    sign_in(browser, cora)
    marked = reverse("uploads:marked", args=[checked.uuid])
    assert marked not in browser.get(reverse("uploads:detail", args=[checked.uuid])).content.decode()
    response = browser.get(marked)
    assert response.status_code == 302 and response["Location"] == reverse("uploads:detail", args=[checked.uuid])
    assert "may not see" in browser.get(response["Location"]).content.decode()
    assert not AuditEvent.objects.filter(action="upload.marked_download").exists()


def test_a_user_with_the_right_reads_the_personal_cells_messages_and_the_read_is_audited(
    client, checked, alice, api, issue_token
):
    page = client.get(reverse("uploads:detail", args=[checked.uuid])).content.decode()
    assert TYPED_NAME in page and TYPED_DOCUMENT in page
    event = AuditEvent.objects.get(action="upload.personal_read", object_uuid=checked.uuid)
    personal = checked.problems.filter(column__in=["party_1_nationality", "party_1_id_document_type"])
    assert event.actor_id == alice.pk and event.detail["problems"] == 2
    assert sorted(event.detail["problem_ids"]) == sorted(personal.values_list("pk", flat=True))
    assert event.detail["via"] == "session"
    assert TYPED_NAME not in str(event.detail)  # identifiers and counts, never the values

    body = api.get(reverse("api:upload-detail", args=[checked.uuid]), **bearer(issue_token(alice, "read")))
    assert TYPED_NAME in body.content.decode() and personal_reads(checked) == 2
    assert AuditEvent.objects.filter(action="upload.personal_read").latest("pk").detail["via"] == "token"


def test_the_preview_never_holds_the_fields_shown_only_with_the_right_to_see_personal_data(
    client, alice, api, issue_token
):
    sign_in(client, alice)
    content = full_csv(
        row(
            "FR-PD-3",
            modus_operandi=TYPED_HOW,
            concealment_detail=TYPED_HOW.upper(),
            conveyance_1_transport_mode="3",
            conveyance_1_identifier_type="plate",
            conveyance_1_identifier=TYPED_PLATE,
            party_1_kind="person",
            party_1_role="suspect",
            party_1_family_name=TYPED_NAME,
        )
    )
    client.post(reverse("uploads:new"), {"file": SimpleUploadedFile("seizures.csv", content), "variant": "full"})
    upload = Upload.objects.get()
    assert upload_check(upload_id=upload.pk) == "checked"
    upload.refresh_from_db()
    assert upload.rows_with_errors == 0 and upload.preview  # checked clean: the preview is shown
    page = client.get(reverse("uploads:detail", args=[upload.uuid])).content.decode()
    answered = api.get(reverse("api:upload-detail", args=[upload.uuid]), **bearer(issue_token(alice, "read")))
    assert "FR-PD-3" in page and "FR-PD-3" in answered.content.decode()
    for shown in (page, answered.content.decode(), str(upload.preview)):
        for typed in (TYPED_HOW, TYPED_HOW.upper(), TYPED_PLATE, TYPED_NAME):
            assert typed not in shown


@pytest.mark.parametrize("given_names", ["Jean", ""], ids=["cells after it", "the row's last cell"])
def test_a_formula_in_a_personal_column_of_a_csv_form_sheet_is_withheld_without_the_right(
    client, alice, cora, api, issue_token, tmp_path, given_names
):
    """The CSV form as a workbook's sheet (a marked copy corrected in Excel): a formula is never read, and its
    problem quotes it, wherever it is in its row; in a column of personal data, only to a user who may see
    personal data."""
    keys = [column.key for column in csv_columns(variant="full")]
    cells = row("FR-PD-4", party_1_kind="person", party_1_role="suspect", party_1_given_names=given_names)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "CSV"
    sheet.append(keys)
    sheet.append([cells.get(key, "") for key in keys])
    sheet.cell(row=2, column=keys.index("party_1_family_name") + 1, value=f'="{TYPED_NAME}"')
    path = tmp_path / "corrected.xlsx"
    book.save(path)
    sign_in(client, alice)
    response = client.post(
        reverse("uploads:new"), {"file": SimpleUploadedFile("corrected.xlsx", path.read_bytes()), "variant": "full"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    upload = Upload.objects.get()
    assert upload_check(upload_id=upload.pk) == "checked"
    problem = upload.problems.get(column="party_1_family_name", message__contains="formula")
    assert TYPED_NAME in problem.message  # what the check found quotes it
    assert problem.field == "family_name"

    cora = without_personal_data(cora)
    browser = Client()
    sign_in(browser, cora)
    page = browser.get(reverse("uploads:detail", args=[upload.uuid])).content.decode()
    listed = api.get(reverse("api:upload-problems", args=[upload.uuid]), **bearer(issue_token(cora, "read")))
    assert listed.status_code == 200
    for shown in (page, listed.content.decode()):
        assert TYPED_NAME not in shown
        assert "holds personal data, which you may not see" in shown
    assert TYPED_NAME in client.get(reverse("uploads:detail", args=[upload.uuid])).content.decode()
