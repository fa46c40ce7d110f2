"""Discarding a kept form goes back only to a page of this site, never to a host named in ``next``."""

from __future__ import annotations

import uuid

import pytest

from apps.autosave.models import FormDraft
from apps.autosave.services import form_draft_save

from .conftest import sign_in


def _kept_form(user) -> uuid.UUID:
    key = uuid.uuid4()
    form_draft_save(user=user, key=key, form="reports.report", report_id=None, payload={"place": ["Lyon"]})
    return key


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "https:evil.example",
        " //evil.example",
    ],
)
def test_discarding_a_kept_form_never_sends_the_user_to_another_host(client, alice, next_url):
    sign_in(client, alice)
    key = _kept_form(alice)
    response = client.post(f"/reports/drafts/{key}/discard/", {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/reports/"
    assert not FormDraft.objects.filter(key=key, closed_at__isnull=True).exists()


def test_discarding_a_kept_form_goes_back_to_the_page_of_this_site_it_came_from(client, alice):
    sign_in(client, alice)
    key = _kept_form(alice)
    response = client.post(f"/reports/drafts/{key}/discard/", {"next": "/reports/review/?page=2"})
    assert response["Location"] == "/reports/review/?page=2"
