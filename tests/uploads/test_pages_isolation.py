"""Nobody sees or changes an upload that is not theirs, on any upload page, whatever their role.

An upload belongs to the administration of its sender and is seen by that administration's users who may add
reports: every other persona of tests/conftest.py (an officer of another administration, a coordinator of another
region, RILO staff of the same region, an auditor, a partner system) gets 404 on every page that takes an upload,
posting changes nothing, and the lists hold only their administration's uploads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.reports.models import Report
from apps.tenancy.models import Administration
from apps.uploads.choices import ProblemKind, UploadFormat, UploadState
from apps.uploads.models import Upload, UploadProblem
from tests.helpers import sign_in

PERSONAS = ["alice", "cora", "bob", "dmitri", "erin", "farid", "grace", "hugo", "ivan"]


# Who may use the upload pages at all (their own administration's uploads).
UPLOADERS = {"alice", "cora", "bob", "dmitri"}

Request = Callable[[Client, Upload], Any]


def _get(name: str) -> Request:
    return lambda client, upload: client.get(reverse(f"uploads:{name}", args=[upload.uuid]))


def _post(name: str, data: dict[str, str] | None = None) -> Request:
    return lambda client, upload: client.post(reverse(f"uploads:{name}", args=[upload.uuid]), data or {})


UPLOAD_URLS: dict[str, Request] = {
    "detail": _get("detail"),
    "status": _get("status"),
    "marked workbook": _get("marked"),
    "commit": _post("commit", {"commit_as": "submit"}),
    "cancel": _post("cancel"),
    "restart": _post("restart"),
}


def make_upload(*, by: User, administration: Administration, name: str, state: str) -> Upload:
    upload = Upload.objects.create(
        administration=administration,
        uploaded_by=by,
        original_name=name,
        format=UploadFormat.CSV,
        state=state,
        rows_read=3,
        rows_checked=3,
        new_reports=2,
        preview=[],
    )
    UploadProblem.objects.create(
        upload=upload, kind=ProblemKind.DUPLICATE, sheet="CSV", row=2, column="B", message=f"{name} looks like one"
    )
    return upload


@pytest.fixture
def uploads(alice: User, bob: User, dmitri: User, france, germany, kazakhstan) -> dict[str, Upload]:
    made = {
        "fr_checked": (alice, france, UploadState.CHECKED),
        "fr_failed": (alice, france, UploadState.FAILED),
        "de_checked": (bob, germany, UploadState.CHECKED),
        "kz_queued": (dmitri, kazakhstan, UploadState.QUEUED),
    }
    return {
        key: make_upload(by=by, administration=administration, name=f"ISO-{key.upper()}.csv", state=state)
        for key, (by, administration, state) in made.items()
    }


def _visible(persona: str, upload_name: str) -> bool:
    owners = {"fr": {"alice", "cora", "nsys"}, "de": {"bob"}, "kz": {"dmitri"}}
    return persona in owners[upload_name[:2]]


def _snapshot() -> list[tuple[Any, ...]]:
    return list(Upload.objects.order_by("pk").values_list("pk", "state", "submit_for_review", "file_name"))


@pytest.mark.parametrize("url_name", list(UPLOAD_URLS))
@pytest.mark.parametrize("persona", [*PERSONAS, "nsys"])
def test_an_upload_out_of_reach_is_not_found_on_every_page(client, uploads, persona, url_name, request, nsys):
    sign_in(client, request.getfixturevalue(persona))
    before, reports_before = _snapshot(), Report.objects.count()
    hidden = [name for name in uploads if not _visible(persona, name)]
    assert hidden
    for name in hidden:
        response = UPLOAD_URLS[url_name](client, uploads[name])
        assert response.status_code == 404, f"{persona} {url_name} {name}: {response.status_code}"
        assert uploads[name].original_name.encode() not in response.content
    assert _snapshot() == before, "an upload out of reach was changed"
    assert Report.objects.count() == reports_before


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_list_holds_only_the_uploads_of_the_users_administration(client, uploads, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    response = client.get(reverse("uploads:list"))
    if persona not in UPLOADERS:
        assert response.status_code == 403
        assert b"ISO-" not in response.content
        return
    assert response.status_code == 200
    body = response.content.decode()
    for name, upload in uploads.items():
        assert (upload.original_name in body) == _visible(persona, name), (persona, name)


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - UPLOADERS))
def test_who_may_not_add_reports_has_no_upload_page_and_no_link_to_one(client, uploads, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    for name in ("uploads:list", "uploads:new", "uploads:template"):
        assert client.get(reverse(name)).status_code == 403, name
    before = Upload.objects.count()
    assert client.post(reverse("uploads:new"), {"variant": "full"}).status_code == 403
    assert Upload.objects.count() == before
    home = client.get(reverse("core:home"))
    assert reverse("uploads:list").encode() not in home.content


def test_a_superuser_of_no_administration_does_not_see_an_administrations_upload(client, uploads, france):
    root = User.objects.create_superuser(username="root", password="x-Long-enough-1", email="root@example.org")
    sign_in(client, root)
    for url_name, call in UPLOAD_URLS.items():
        assert call(client, uploads["fr_checked"]).status_code == 404, url_name


def test_the_owners_colleague_reaches_every_page_of_the_upload(client, uploads, cora):
    sign_in(client, cora)
    upload = uploads["fr_checked"]
    page = client.get(reverse("uploads:detail", args=[upload.uuid]))
    assert page.status_code == 200 and upload.original_name in page.content.decode()
    assert client.get(reverse("uploads:status", args=[upload.uuid])).status_code == 200
