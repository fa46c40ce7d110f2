"""Nothing typed is lost: the form is kept on the server as it is typed, and survives an expired session."""

from __future__ import annotations

import pytest
from django.core import signing

from apps.autosave.models import FormDraft
from apps.reports.models import Report

from .conftest import must_search, sign_in
from .factories import make_report
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
    assert not FormDraft.objects.exists()


def test_a_refused_save_keeps_the_form_on_the_server(client, alice, page_token):
    response = client.post(NEW, {**entry_post("draft", seizure_date=""), "draft_token": page_token})
    assert response.status_code == 400
    assert FormDraft.objects.get().payload["modus_operandi"] == ["Hidden behind furniture"]


def test_after_the_session_expired_autosave_still_keeps_the_form_for_its_user(client, alice, page_token):
    client.logout()  # the session is gone, as after SESSION_COOKIE_AGE idle
    response = client.post("/reports/autosave/", {**entry_post(), "draft_token": page_token})
    page = response.content.decode()
    assert "Your session has expired" in page
    draft = FormDraft.objects.get()
    assert draft.user == alice
    assert f"/accounts/login/?next=%2Freports%2Fnew%2F%3Frestore%3D{draft.key}" in page
    sign_in(client, alice)
    assert "You have an unsaved form from" in client.get(NEW).content.decode()
    assert "Hidden behind furniture" in client.get(NEW, {"restore": str(draft.key)}).content.decode()


def test_saving_after_the_session_expired_keeps_the_form_and_asks_to_sign_in(client, alice, page_token):
    client.logout()
    response = client.post(NEW, {**entry_post("submit"), "draft_token": page_token})
    draft = FormDraft.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/reports/new/%3Frestore%3D{draft.key}"
    assert not Report.objects.exists()
    assert draft.user == alice and draft.payload["parties-0-family_name"] == ["Dupont"]


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
    report = make_report(france, vocab, status="draft")
    sign_in(client, alice)
    token = token_of(client.get(f"/reports/{report.uuid}/edit/").content.decode())
    assert client.post(f"/reports/{report.uuid}/autosave/", {"place": "Rouen", "draft_token": token}).status_code == 200
    assert FormDraft.objects.get().report == report
    # the ticket of one report cannot be used for another
    other = make_report(france, vocab, status="draft")
    assert client.post(f"/reports/{other.uuid}/autosave/", {"draft_token": token}).status_code == 400


def test_discarding_forgets_the_kept_form(client, alice, page_token):
    client.post("/reports/autosave/", {**entry_post(), "draft_token": page_token})
    key = FormDraft.objects.get().key
    response = client.post(f"/reports/drafts/{key}/discard/", {"next": "/reports/new/"})
    assert response.status_code == 302 and response["Location"] == "/reports/new/"
    assert not FormDraft.objects.exists()
