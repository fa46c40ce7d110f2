"""The report page: every section, personal data behind its gate (audited), history, workflow buttons, files."""

from __future__ import annotations

import re
from typing import cast

import pytest
from django.test import override_settings

from apps.audit.models import AuditEvent
from apps.reference.models import HSCode
from apps.reports.choices import ReportStatus
from apps.reports.models import Attachment, Report, ReportItem
from apps.reports.services import (
    report_approve,
    report_return,
    report_send_for_review,
    report_update_draft,
)
from tests.builders import HSCodeFactory, build_report, entry_form_report

from .conftest import sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


def url(report: Report, suffix: str = "") -> str:
    return f"/reports/{report.uuid}/{suffix}"


@pytest.fixture
def draft(alice, vocab) -> Report:
    return build_report(
        by=alice, reference="FR-2025-0001", status=ReportStatus.DRAFT, through_services=True, **entry_form_report()
    )


@pytest.fixture
def submitted(draft, alice) -> Report:
    return report_send_for_review(report=draft, actor=alice)


def buttons(page: str) -> set[str]:
    found = set()
    for name, marker in {
        "edit": "/edit/",
        "submit": "/submit/",
        "return": "/return/",
        "approve": "/approve/",
        "correct": "/correct/",
        "withdraw": "/withdraw/",
        "mark_duplicate": "/mark-duplicate/",
        "attach": "/attachments/",
    }.items():
        if re.search(rf'(href|action)="/reports/[0-9a-f-]+{re.escape(marker)}"', page):
            found.add(name)
    return found


def test_the_page_shows_every_section_to_the_author(client, alice, draft):
    sign_in(client, alice)
    page = client.get(url(draft)).content.decode()
    for heading in ("Case", "Items", "Route", "Conveyances", "Persons and companies", "Attachments"):
        assert f">{heading}</h2>" in page
    assert "Dupont, Jean" in page
    assert "Hidden behind furniture" in page and "MSCU1234565" in page and "Inside the sofa" in page
    assert "200,000 STK" in page  # grouped in the reader's locale


def test_reading_the_parties_is_recorded_in_the_audit_log(client, alice, draft):
    sign_in(client, alice)
    client.get(url(draft))
    actions = set(AuditEvent.objects.filter(actor=alice, object_uuid=draft.uuid).values_list("action", flat=True))
    assert {"report.parties_read", "report.personal_read"} <= actions


def test_personal_data_stays_hidden_from_those_without_the_right(client, alice, grace, submitted):
    sign_in(client, grace)  # RILO administrator: sees the region's reports, not their personal data
    page = client.get(url(submitted)).content.decode()
    assert "You may not see the persons and companies of this report." in page
    for secret in ("Dupont", "Hidden behind furniture", "MSCU1234565", "Inside the sofa"):
        assert secret not in page
    assert not AuditEvent.objects.filter(actor=grace, action="report.parties_read").exists()


def test_officers_see_the_state_history_with_the_reviewers_comments(client, alice, erin, submitted):
    report_return(report=submitted, actor=erin, comment="Give the exact quay.")
    sign_in(client, alice)
    page = client.get(url(submitted)).content.decode()
    assert "Returned for correction" in page
    assert "Give the exact quay." in page
    assert "Submitted" in page


def test_the_change_history_is_a_readable_difference(client, alice, draft):
    report_update_draft(
        report=draft,
        actor=alice,
        fields={"place": "Rouen", "kind": "offence", "modus_operandi": "Other story"},
        items=[{"commodity_category": "tobacco", "commodity_type": "cigarettes", "quantity": "250000", "unit": "STK"}],
    )
    sign_in(client, alice)
    page = client.get(url(draft, "history/"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page  # a fragment for htmx
    assert re.search(r"Kind of case: <del>Seizure</del> → <ins>Offence without seizure</ins>", page)
    # Free text such as the place is personal in the catalogue: like the modus operandi, not shown.
    assert "Place: <ins>changed (personal data not shown)</ins>" in page and "Rouen" not in page
    assert re.search(r"Item 1 \N{EN DASH} Quantity: <del>200000</del> → <ins>250000</ins>", page)
    assert "Modus operandi: <ins>changed (personal data not shown)</ins>" in page
    assert "Other story" not in page and "Hidden behind furniture" not in page
    assert "by Alice" in page
    full = client.get(url(draft, "history/")).content.decode()
    assert "<h1>Change history of report FR-2025-0001</h1>" in full


@pytest.mark.parametrize(
    ("persona", "state", "expected"),
    [
        ("alice", "draft", {"edit", "submit", "attach"}),
        ("alice", "submitted", set()),
        ("erin", "submitted", {"return", "approve", "mark_duplicate"}),
        ("grace", "submitted", set()),
        ("erin", "approved", {"correct", "withdraw", "mark_duplicate"}),
        ("cora", "approved", {"correct"}),
        ("alice", "returned", {"edit", "submit", "attach"}),
    ],
)
def test_workflow_buttons_appear_only_for_allowed_transitions(
    client, request, persona, state, expected, alice, erin, draft
):
    if state != "draft":
        report_send_for_review(report=draft, actor=alice)
    if state == "approved":
        report_approve(report=draft, actor=erin)
    if state == "returned":
        report_return(report=draft, actor=erin, comment="Fix it.")
    sign_in(client, request.getfixturevalue(persona))
    assert buttons(client.get(url(draft)).content.decode()) == expected


def test_an_analyst_approves_a_submitted_report(client, erin, submitted):
    sign_in(client, erin)
    response = client.post(url(submitted, "approve/"), {"comment": ""})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.APPROVED


def test_approving_twice_tells_the_second_reviewer(client, erin, submitted):
    sign_in(client, erin)
    client.post(url(submitted, "approve/"))
    response = client.post(url(submitted, "approve/"), follow=True)
    assert "only a submitted report can be approved" in response.content.decode()


def test_returning_requires_a_comment_shown_beside_the_field(client, erin, submitted):
    sign_in(client, erin)
    response = client.post(url(submitted, "return/"), {"comment": "  "})
    assert response.status_code == 400
    assert re.search(
        r'<ul class="errorlist" id="id_comment_error"><li>Say what needs correcting.</li>', response.content.decode()
    )
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED
    assert client.post(url(submitted, "return/"), {"comment": "Which quay?"}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.RETURNED


def test_withdrawing_requires_a_reason_shown_beside_the_field(client, erin, submitted):
    report_approve(report=submitted, actor=erin)
    sign_in(client, erin)
    response = client.post(url(submitted, "withdraw/"), {"reason": ""})
    assert response.status_code == 400
    assert re.search(
        r'<ul class="errorlist" id="id_reason_error"><li>Say why the report is withdrawn.</li>',
        response.content.decode(),
    )
    client.post(url(submitted, "withdraw/"), {"reason": "Entered twice by mistake."})
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.WITHDRAWN


def test_marking_a_duplicate_of_another_visible_report(client, alice, bob, erin, submitted, vocab):
    original = report_send_for_review(
        report=build_report(
            by=bob, reference="DE-1", status=ReportStatus.DRAFT, through_services=True, **entry_form_report()
        ),
        actor=bob,
    )
    sign_in(client, erin)
    response = client.post(url(submitted, "mark-duplicate/"), {"of": str(original.uuid), "comment": "Same container"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.duplicate_of == original


def test_marking_a_duplicate_of_an_unknown_or_invisible_report_is_refused_beside_the_field(
    client, dmitri, erin, submitted, vocab
):
    hidden = report_send_for_review(
        report=build_report(
            by=dmitri, reference="KZ-1", status=ReportStatus.DRAFT, through_services=True, **entry_form_report()
        ),
        actor=dmitri,
    )  # another region
    sign_in(client, erin)
    for value in (str(hidden.uuid), "not-a-uuid"):
        response = client.post(url(submitted, "mark-duplicate/"), {"of": value})
        assert response.status_code == 400
        assert "No report with this UUID that you can see." in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.duplicate_of is None


def test_submitting_an_incomplete_draft_from_its_page_shows_what_is_missing_on_the_form(client, alice, draft):
    report_update_draft(report=draft, actor=alice, fields={"place": ""})
    sign_in(client, alice)
    response = client.post(url(draft, "submit/"))
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'id="id_place_error"><li>This field is required before submission.</li>', page)
    assert 'value="Dupont"' in page  # the form is filled with the stored report
    draft.refresh_from_db()
    assert draft.status == ReportStatus.DRAFT


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, report, name, content, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile(name, content), "description": "X-ray", **extra}
    return client.post(url(report, "attachments/"), data)


def test_a_file_is_attached_and_downloaded_through_the_view(client, alice, draft, media):
    sign_in(client, alice)
    assert upload(client, draft, "scan.png", PNG, contains_personal_data="").status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png" and not attachment.contains_personal_data
    response = client.get(url(draft, f"attachments/{attachment.pk}/"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="scan.png"'
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG


def test_a_personal_attachment_is_gated_and_a_neutral_name_hides_the_original(client, alice, erin, grace, draft, media):
    sign_in(client, alice)
    upload(client, draft, "passport-dupont.pdf", PDF, contains_personal_data="on")
    upload(client, draft, "xray.png", PNG)
    personal, shared = Attachment.objects.order_by("pk")
    shared.contains_personal_data = False
    shared.save()
    report_send_for_review(report=draft, actor=alice)
    sign_in(client, grace)
    page = client.get(url(draft)).content.decode()
    assert "passport-dupont" not in page and "xray.png" not in page
    assert client.get(url(draft, f"attachments/{personal.pk}/")).status_code == 404
    neutral = client.get(url(draft, f"attachments/{shared.pk}/"))
    assert neutral["Content-Disposition"] == f'attachment; filename="attachment-{shared.pk}.png"'
    sign_in(client, erin)
    assert client.get(url(draft, f"attachments/{personal.pk}/")).status_code == 200
    assert AuditEvent.objects.filter(actor=erin, action="report.attachment_open").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"just text", "Only JPEG, PNG, TIFF, PDF, XLSX and DOCX files can be attached."),
        ("photo.jpg", PDF, "name says image/jpeg but its content is application/pdf"),
        ("empty.png", b"", "The submitted file is empty."),
    ],
)
def test_a_wrong_file_is_refused_beside_the_file_field(client, alice, draft, media, name, content, message):
    sign_in(client, alice)
    response = upload(client, draft, name, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert re.search(r'id="id_file_error"', response.content.decode())
    assert not Attachment.objects.exists()


@override_settings(RILO_ATTACHMENT_MAX_BYTES=1024 * 1024)
def test_a_file_over_the_limit_is_refused(client, alice, draft, media):
    sign_in(client, alice)
    response = upload(client, draft, "big.png", PNG + b"\x00" * (1024 * 1024))
    assert response.status_code == 400
    assert "The file is larger than 1 MB." in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_note_that_hs_descriptions_stay_english_is_shown_once_above_the_items(client, alice, draft):
    hs = cast(HSCode, HSCodeFactory())
    first = ReportItem.objects.filter(report=draft).first()
    assert first is not None
    first.pk = None
    first.position = (ReportItem.objects.filter(report=draft).count() or 0) + 1
    first.save()
    ReportItem.objects.filter(report=draft).update(hs_code=hs)
    assert ReportItem.objects.filter(report=draft, hs_code=hs).count() >= 2
    sign_in(client, alice)
    assert "HS descriptions are in English" not in client.get(url(draft)).content.decode()  # English: no note
    alice.language = "fr"
    alice.save(update_fields=["language"])
    sign_in(client, alice)
    page = client.get(url(draft)).content.decode()
    assert page.count("Les désignations du SH sont en anglais") == 1
    assert page.count(hs.label) >= 2
