"""The review workflow: draft -> submitted -> approved, returned, corrected, withdrawn (DESIGN.md 4.2)."""

from __future__ import annotations

import io
import socket

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.mail.choices import MailState
from apps.mail.models import MailMessage
from apps.mail.services import mail_deliver
from apps.reports.choices import ReportStatus
from apps.reports.models import Report, ReviewEvent
from apps.reports.selectors import report_list
from apps.reports.services import (
    report_approve,
    report_attachment_add,
    report_correct,
    report_create_draft,
    report_return,
    report_send_for_review,
    report_update_draft,
    report_withdraw,
)
from tests.builders import complete_fields, item_row
from tests.helpers import deliver_mail


def test_a_draft_belongs_to_the_actors_administration_and_author(draft, alice, france):
    assert draft.administration == france
    assert draft.created_by == alice
    assert draft.status == ReportStatus.DRAFT
    assert draft.version == 1
    assert [e.transition for e in draft.review_events.all()] == ["create"]


def test_a_partner_system_or_an_analyst_cannot_create_a_report(ivan, erin):
    for actor in (ivan, erin):
        with pytest.raises(PermissionDenied):
            report_create_draft(actor=actor, fields=complete_fields())


def test_updating_a_draft_replaces_its_items_as_a_whole(draft, alice):
    report_update_draft(
        report=draft,
        actor=alice,
        fields={"place": "Rouen"},
        items=[item_row(quantity="1"), item_row(quantity="2", description="Second batch")],
    )
    draft.refresh_from_db()
    assert draft.place == "Rouen"
    assert [str(i.quantity) for i in draft.items.all()] == ["1.000", "2.000"]
    assert draft.route.count() == 3  # not given: left as it was


def test_submitting_requires_the_full_forms_fields(alice):
    report = report_create_draft(actor=alice, fields=complete_fields(place="", location_type=None), items=[])
    with pytest.raises(ValidationError) as excinfo:
        report_send_for_review(report=report, actor=alice)
    errors = excinfo.value.message_dict
    assert {"place", "location_type", "items", "route"} <= set(errors)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_the_simplified_form_needs_only_the_minimal_data(alice):
    report = report_create_draft(
        actor=alice,
        fields={
            "form_variant": "simplified",
            "national_reference": "S-1",
            "seizure_date": "2024-05-01",
            "country_of_seizure": "FR",
            "transport_mode": "1",
            "detection_methods": ["xray"],
        },
        items=[item_row(commodity_type=None, hs_code=None, attributes={})],
    )
    assert report_send_for_review(report=report, actor=alice).status == ReportStatus.SUBMITTED


def test_the_simplified_form_still_needs_how_it_was_found_and_moved(alice):
    report = report_create_draft(
        actor=alice,
        fields={
            "form_variant": "simplified",
            "national_reference": "S-2",
            "seizure_date": "2024-05-01",
            "country_of_seizure": "FR",
        },
        items=[item_row(commodity_type=None, hs_code=None, attributes={})],
    )
    with pytest.raises(ValidationError) as excinfo:
        report_send_for_review(report=report, actor=alice)
    assert set(excinfo.value.message_dict) == {"transport_mode", "detection_methods"}


def test_submission_tells_the_regions_analysts_only(
    draft, alice, erin, farid, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = report_send_for_review(report=draft, actor=alice)
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_by == alice
    assert [m.to for m in deliver_mail()] == [["erin@example.org"]]
    assert "Dupont" not in deliver_mail()[0].body  # no personal data by mail


def test_no_mail_leaves_when_the_transaction_rolls_back(draft, alice, erin, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        report_send_for_review(report=draft, actor=alice)
        assert MailMessage.objects.filter(recipient=erin.email).exists()  # written in the transition
        raise RuntimeError("the request fails after the submission")
    assert callbacks == []  # no worker is asked to send anything
    assert not MailMessage.objects.exists()
    assert deliver_mail() == []


def test_returning_requires_a_comment_and_tells_the_author(
    submitted, erin, alice, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError) as excinfo:
        report_return(report=submitted, actor=erin, comment="  ")
    assert "comment" in excinfo.value.message_dict
    deliver_mail()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = report_return(report=submitted, actor=erin, comment="Quantity looks wrong")
    assert report.status == ReportStatus.RETURNED
    assert deliver_mail()[0].to == ["alice@example.org"]
    assert "Quantity looks wrong" in deliver_mail()[0].body


def test_a_returned_report_is_corrected_and_resubmitted(submitted, erin, alice):
    report_return(report=submitted, actor=erin, comment="Fix the place")
    report_update_draft(report=submitted, actor=alice, fields={"place": "Le Havre, quay 4"})
    report = report_send_for_review(report=submitted, actor=alice)
    assert report.status == ReportStatus.SUBMITTED
    assert list(report.review_events.values_list("transition", flat=True)) == [
        "create",
        "submit",
        "return",
        "resubmit",
    ]


def test_approval_records_the_approver_and_tells_the_author(
    submitted, erin, alice, mailoutbox, django_capture_on_commit_callbacks
):
    deliver_mail()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = report_approve(report=submitted, actor=erin)
    assert (report.status, report.approved_by, report.version) == (ReportStatus.APPROVED, erin, 1)
    assert report.approved_at is not None
    assert deliver_mail()[0].to == ["alice@example.org"]
    assert report.national_reference in deliver_mail()[0].subject
    assert f"({report.uuid}) was approved, version 1." in deliver_mail()[0].body
    assert report.is_forwardable
    assert Report.objects.forwardable().filter(pk=report.pk).exists()


def test_illegal_transitions_are_conflicts_with_a_clear_message(draft, alice, erin):
    with pytest.raises(Conflict, match="only a submitted report can be returned"):
        report_return(report=draft, actor=alice, comment="x")
    report_send_for_review(report=draft, actor=alice)
    report_approve(report=draft, actor=erin)
    with pytest.raises(Conflict, match="is “Approved”: only a submitted report can be approved"):
        report_approve(report=draft, actor=erin)
    with pytest.raises(Conflict):
        report_update_draft(report=draft, actor=alice, fields={"place": "x"})
    with pytest.raises(
        Conflict, match="is “Approved”: only a draft or a report returned for correction can be submitted"
    ):
        report_send_for_review(report=draft, actor=alice)


@pytest.mark.parametrize(
    ("language", "approved_twice", "submitted_again"),
    [
        (
            "fr",
            "Le rapport {ref} est dans l'état « Approuvé » : seul un rapport soumis peut être approuvé.",
            "Le rapport {ref} est dans l'état « Approuvé » : seul un brouillon ou un rapport renvoyé pour correction "
            "peut être soumis.",
        ),
        (
            "ru",
            "Сообщение {ref} в статусе «Утверждено»: утвердить можно только отправленное сообщение.",
            "Сообщение {ref} в статусе «Утверждено»: отправить можно только черновик или сообщение, возвращённое на "
            "доработку.",
        ),
    ],
)
def test_a_refused_transition_is_one_whole_sentence_in_the_readers_language(
    draft, alice, erin, language, approved_twice, submitted_again
):
    report_send_for_review(report=draft, actor=alice)
    report_approve(report=draft, actor=erin)
    with translation.override(language):
        with pytest.raises(Conflict) as twice:
            report_approve(report=draft, actor=erin)
        with pytest.raises(Conflict) as again:
            report_send_for_review(report=draft, actor=alice)
    assert twice.value.message == approved_twice.format(ref=draft.national_reference)
    assert again.value.message == submitted_again.format(ref=draft.national_reference)


def test_a_refused_right_names_the_action_in_a_whole_sentence(submitted, alice):
    with translation.override("fr"), pytest.raises(PermissionDenied) as refused:
        report_approve(report=submitted, actor=alice)
    assert refused.value.message == f"Vous ne pouvez pas approuver le rapport {submitted.national_reference}."


def test_an_officer_cannot_approve_his_own_report_and_another_regions_analyst_cannot_find_it(submitted, alice, farid):
    with pytest.raises(PermissionDenied):
        report_approve(report=submitted, actor=alice)
    with pytest.raises(NotFound):
        report_approve(report=submitted, actor=farid)
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED


def test_another_administrations_officer_cannot_find_a_draft_to_edit(draft, bob):
    with pytest.raises(NotFound):
        report_update_draft(report=draft, actor=bob, fields={"place": "Hamburg"})


def test_a_correction_makes_a_new_approved_version_with_its_reason(submitted, erin, cora):
    report_approve(report=submitted, actor=erin)
    with pytest.raises(ValidationError):
        report_correct(report=submitted, actor=cora, reason="", fields={"place": "Fécamp"})
    report = report_correct(report=submitted, actor=cora, reason="Wrong port", fields={"place": "Fécamp"})
    assert (report.status, report.version, report.place) == (ReportStatus.APPROVED, 2, "Fécamp")
    event = report.review_events.get(transition="correct")
    assert (event.from_status, event.to_status, event.version, event.comment) == (
        "approved",
        "approved",
        2,
        "Wrong port",
    )
    latest = report.history.first()
    assert (latest.version, latest.history_change_reason, latest.history_user) == (2, "Wrong port", cora)


def test_withdrawal_needs_a_reason_and_stops_forwarding(submitted, erin):
    report_approve(report=submitted, actor=erin)
    with pytest.raises(ValidationError):
        report_withdraw(report=submitted, actor=erin, reason="")
    report = report_withdraw(report=submitted, actor=erin, reason="Entered twice by mistake")
    assert report.status == ReportStatus.WITHDRAWN
    assert not Report.objects.forwardable().exists()


def test_every_change_is_kept_in_history_with_its_author(draft, alice):
    report_update_draft(report=draft, actor=alice, fields={"place": "Rouen"})
    places = list(draft.history.order_by("history_date").values_list("place", "history_user__username"))
    assert places == [("Le Havre", "alice"), ("Rouen", "alice")]
    assert draft.items.first().history.count() == 1


def test_full_text_search_finds_brands_and_references_but_not_personal_free_text(draft, alice):
    assert list(report_list(user=alice, filters={"q": "scorpion"})) == [draft]
    assert list(report_list(user=alice, filters={"q": "FR-2025-0001"})) == [draft]
    assert list(report_list(user=alice, filters={"q": "Dupont"})) == []


def test_review_event_trail_names_actor_and_states(submitted, erin):
    report_return(report=submitted, actor=erin, comment="Check")
    event = ReviewEvent.objects.filter(report=submitted).latest("at", "pk")
    assert (event.transition, event.from_status, event.to_status, event.actor) == (
        "return",
        "submitted",
        "returned",
        erin,
    )


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_attachments_are_sniffed_and_stored_under_a_random_name(draft, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    attachment = report_attachment_add(
        report=draft, actor=alice, content=io.BytesIO(PNG), original_name="passport_jean_dupont.jpg"
    )
    assert attachment.content_type == "image/png"  # from the bytes, not the name
    assert attachment.size == len(PNG)
    assert "dupont" not in attachment.file.name
    assert (tmp_path / attachment.file.name).read_bytes() == PNG


def test_attachments_of_other_types_or_too_large_are_refused(draft, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as excinfo:
        report_attachment_add(report=draft, actor=alice, content=io.BytesIO(b"MZ\x90\x00"), original_name="a.pdf")
    assert "file" in excinfo.value.message_dict
    settings.RILO_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="larger than"):
        report_attachment_add(report=draft, actor=alice, content=io.BytesIO(PNG), original_name="a.png")
    assert not draft.attachments.exists()


def test_an_smtp_server_that_never_answers_holds_neither_the_reviewer_nor_the_mail(
    submitted, erin, settings, caplog, django_capture_on_commit_callbacks
):
    assert 0 < settings.EMAIL_TIMEOUT <= 30  # Django's own default waits for ever
    deliver_mail()  # the submission's mail, before the server goes silent
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never greets
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_TIMEOUT = 0.5
        with django_capture_on_commit_callbacks(execute=True):
            report = report_approve(report=submitted, actor=erin)
        assert report.status == ReportStatus.APPROVED
        [message] = MailMessage.objects.filter(state=MailState.PENDING)  # the approval did not try to send it
        assert message.attempts == 0
        assert mail_deliver() == 0  # a worker's attempt: times out, logged, not raised
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MailState.PENDING, 1)  # to be retried later
    assert message.next_attempt_at > message.created_at
    assert "could not send '[RILO] Report" in caplog.text
