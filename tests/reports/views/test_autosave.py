"""Nothing typed is lost: the form is kept on the server as it is typed, and survives an expired session."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client

from apps.autosave.models import FormDraft
from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from tests.builders import build_report

from .conftest import must_search, sign_in
from .forms import entry_post

NEW = "/reports/new/"


def token_of(page: str) -> str:
    return must_search(r'name="draft_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def page_token(client, alice, vocab):
    sign_in(client, alice)
    return token_of(client.get(NEW).content.decode())


def test_the_form_posts_itself_to_the_autosave_endpoint_two_seconds_after_a_change(client, alice, vocab):
    sign_in(client, alice)
    form = must_search(r'<form method="post" action="/reports/new/"[^>]*>', client.get(NEW).content.decode()).group(0)
    assert 'hx-post="/reports/autosave/"' in form
    assert 'hx-trigger="change delay:2s"' in form


def test_autosave_keeps_what_was_typed_on_the_server(client, alice, page_token):
    response = client.post("/reports/autosave/", {**entry_post(), "draft_token": page_token})
    assert response.status_code == 200
    assert "Kept on the server" in response.content.decode()
    draft = FormDraft.objects.get()
    assert draft.user == alice and draft.report is None
    assert draft.payload["items-0-brand"] == ["Marlboro"]
    assert draft.payload["detection_methods"] == ["xray"]
    assert "draft_token" not in draft.payload and "csrfmiddlewaretoken" not in draft.payload
    # a second save replaces the first
    client.post("/reports/autosave/", {**entry_post(), "items-0-brand": "Winston", "draft_token": page_token})
    assert FormDraft.objects.get().payload["items-0-brand"] == ["Winston"]


def test_the_form_page_offers_to_restore_an_unsaved_form_and_restores_every_value(client, alice, page_token):
    client.post("/reports/autosave/", {**entry_post(), "draft_token": page_token})
    page = client.get(NEW).content.decode()
    draft = FormDraft.objects.get()
    assert "You have an unsaved form from" in page
    assert f'href="?restore={draft.key}"' in page
    restored = client.get(NEW, {"restore": str(draft.key)}).content.decode()
    assert "Restored your unsaved form" in restored
    for value in ("FR-2025-0001", "Hidden behind furniture", "MSCU1234565", "Dupont", "200000"):
        assert value in restored
    assert signing.loads(token_of(restored), salt="rilo.autosave.ticket")["k"] == str(draft.key)


def test_the_reports_list_also_offers_the_unsaved_form(client, alice, page_token):
    client.post("/reports/autosave/", {**entry_post(), "draft_token": page_token})
    assert "You have an unsaved new report form" in client.get("/reports/").content.decode()


def test_saving_the_report_forgets_the_kept_form(client, alice, page_token):
    client.post("/reports/autosave/", {**entry_post(), "draft_token": page_token})
    client.post(NEW, {**entry_post("draft"), "draft_token": page_token})
    assert Report.objects.exists()
    draft = FormDraft.objects.get()
    assert draft.closed_at is not None and draft.payload == {}
    assert "You have an unsaved form" not in client.get(NEW).content.decode()


def test_an_autosave_arriving_after_the_save_does_not_bring_the_form_back(client, alice, page_token):
    client.post(NEW, {**entry_post("draft"), "draft_token": page_token})
    late = client.post("/reports/autosave/", {**entry_post(), "draft_token": page_token})
    assert late.status_code == 200
    assert FormDraft.objects.get().payload == {}
    assert "You have an unsaved form" not in client.get(NEW).content.decode()


def test_a_refused_save_keeps_the_form_on_the_server(client, alice, page_token):
    response = client.post(NEW, {**entry_post("draft", seizure_date=""), "draft_token": page_token})
    assert response.status_code == 400
    assert FormDraft.objects.get().payload["modus_operandi"] == ["Hidden behind furniture"]


def expire_sessions() -> None:
    """What SESSION_COOKIE_AGE idle does: the browser still sends its cookie, the session is gone."""
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()


def csrf_of(page: str) -> str:
    return must_search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_after_the_session_expired_autosave_still_keeps_the_form_for_its_user(alice, vocab):
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, alice)
    page = browser.get(NEW).content.decode()
    expire_sessions()
    response = browser.post(
        "/reports/autosave/",
        {**entry_post(), "draft_token": token_of(page)},
        headers={"X-CSRFToken": csrf_of(page), "HX-Request": "true"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Your session has expired" in text
    draft = FormDraft.objects.get()
    assert draft.user == alice
    assert f"/accounts/login/?next=%2Freports%2Fnew%2F%3Frestore%3D{draft.key}" in text
    sign_in(browser, alice)
    assert "You have an unsaved form from" in browser.get(NEW).content.decode()
    assert "Hidden behind furniture" in browser.get(NEW, {"restore": str(draft.key)}).content.decode()


def test_saving_after_the_session_expired_keeps_the_form_and_asks_to_sign_in(alice, vocab):
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, alice)
    page = browser.get(NEW).content.decode()
    expire_sessions()
    data = {**entry_post("submit"), "draft_token": token_of(page), "csrfmiddlewaretoken": csrf_of(page)}
    response = browser.post(NEW, data)
    draft = FormDraft.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/reports/new/%3Frestore%3D{draft.key}"
    assert not Report.objects.exists()
    assert draft.user == alice and draft.payload["parties-0-family_name"] == ["Dupont"]


def test_without_the_csrf_token_nothing_is_kept_after_expiry(alice, vocab):
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, alice)
    page = browser.get(NEW).content.decode()
    expire_sessions()
    response = browser.post("/reports/autosave/", {**entry_post(), "draft_token": token_of(page)})
    assert response.status_code == 403
    assert not FormDraft.objects.exists()


def test_a_forged_ticket_keeps_nothing(client, alice, vocab):
    client.logout()
    forged = signing.dumps({"u": alice.pk, "f": "reports.report", "r": None, "k": "0" * 32}, salt="other")
    response = client.post("/reports/autosave/", {**entry_post(), "draft_token": forged})
    assert response.status_code == 400
    assert not FormDraft.objects.exists()


def test_another_users_ticket_is_refused(client, alice, cora, page_token):
    sign_in(client, cora)
    response = client.post("/reports/autosave/", {**entry_post(), "draft_token": page_token})
    assert response.status_code == 400
    assert not FormDraft.objects.exists()


def test_another_user_never_sees_a_kept_form(client, alice, cora, page_token):
    client.post("/reports/autosave/", {**entry_post(), "draft_token": page_token})
    key = FormDraft.objects.get().key
    sign_in(client, cora)
    page = client.get(NEW, {"restore": str(key)}).content.decode()
    assert "Hidden behind furniture" not in page and "unsaved form" not in page
    assert client.post(f"/reports/drafts/{key}/discard/").status_code == 404
    assert FormDraft.objects.filter(key=key).exists()


def test_autosave_of_an_existing_report_is_kept_against_that_report(client, alice, france, vocab):
    report = build_report(by=france, status=ReportStatus.DRAFT)
    sign_in(client, alice)
    token = token_of(client.get(f"/reports/{report.uuid}/edit/").content.decode())
    assert client.post(f"/reports/{report.uuid}/autosave/", {"place": "Rouen", "draft_token": token}).status_code == 200
    assert FormDraft.objects.get().report == report
    # the ticket of one report cannot be used for another
    other = build_report(by=france, status=ReportStatus.DRAFT)
    assert client.post(f"/reports/{other.uuid}/autosave/", {"draft_token": token}).status_code == 400


def test_discarding_forgets_the_kept_form(client, alice, page_token):
    client.post("/reports/autosave/", {**entry_post(), "draft_token": page_token})
    key = FormDraft.objects.get().key
    response = client.post(f"/reports/drafts/{key}/discard/", {"next": "/reports/new/"})
    assert response.status_code == 302 and response["Location"] == "/reports/new/"
    assert FormDraft.objects.get().payload == {}
    assert "You have an unsaved form" not in client.get(NEW).content.decode()
    assert client.post(f"/reports/drafts/{key}/discard/").status_code == 404


def test_old_kept_forms_are_purged(client, alice, page_token):
    import datetime as dt

    from django.utils import timezone

    from apps.autosave.services import form_drafts_purge

    client.post("/reports/autosave/", {**entry_post(), "draft_token": page_token})
    assert form_drafts_purge(older_than=dt.timedelta(days=30)) == 0
    FormDraft.objects.update(updated_at=timezone.now() - dt.timedelta(days=31))
    assert form_drafts_purge(older_than=dt.timedelta(days=30)) == 1
    assert not FormDraft.objects.exists()


def test_every_field_of_a_form_draft_is_tagged_and_the_payload_is_personal():
    from apps.core.personal import field_names, is_personal, non_personal_fields, personal_fields

    names = field_names(FormDraft)
    assert personal_fields(FormDraft) | non_personal_fields(FormDraft) == names
    assert not personal_fields(FormDraft) & non_personal_fields(FormDraft)
    assert is_personal(FormDraft, "payload") and is_personal(FormDraft, "user")
