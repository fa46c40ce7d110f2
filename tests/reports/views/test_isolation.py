"""Nobody sees or changes a report that is not theirs, on any report page, for any persona.

Parametrised over every report URL of the web UI and every persona of tests/conftest.py: another
administration's report answers 404 (never 403), an analyst of another region sees nothing, a draft is
never visible outside its administration, lists and exports never hold a row out of scope, an
administration smuggled into the entry form is ignored, an expired share grants nothing on any page, and the
history's reasons (free text) are shown only to those who may see the report's personal data.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db.models import Count
from django.test import Client

from apps.accounts.models import User
from apps.jobs.models import Job
from apps.jobs.services import job_run
from apps.reports.choices import ReportStatus
from apps.reports.models import Attachment, Report
from tests.builders import build_report

from .conftest import sign_in
from .forms import entry_post

PERSONAS = ["alice", "cora", "bob", "dmitri", "erin", "farid", "grace", "hugo", "ivan"]

# Which of the fixture's reports each persona may see at all (DESIGN.md section 5).
VISIBLE: dict[str, set[str]] = {
    "alice": {"fr_draft", "fr_submitted", "fr_approved"},
    "cora": {"fr_draft", "fr_submitted", "fr_approved"},
    "bob": {"de_draft", "de_submitted"},
    "dmitri": {"kz_submitted"},
    "erin": {"fr_submitted", "fr_approved", "de_submitted"},
    "grace": {"fr_submitted", "fr_approved", "de_submitted"},
    "farid": {"kz_submitted"},
    "hugo": set(),
    "ivan": set(),
}

Request = Callable[[Client, Report, dict[str, Report]], Any]


def _get(suffix: str, **headers: str) -> Request:
    return lambda client, report, _: client.get(f"/reports/{report.uuid}/{suffix}", headers=headers)


def _post(suffix: str, data: Callable[[Report, dict[str, Report]], dict[str, Any]] | None = None) -> Request:
    return lambda client, report, all_: client.post(
        f"/reports/{report.uuid}/{suffix}", data(report, all_) if data else {}
    )


def _attachment_get(client: Client, report: Report, _: dict[str, Report]) -> Any:
    return client.get(f"/reports/{report.uuid}/attachments/{report.attachments.get().pk}/")


def _upload(client: Client, report: Report, _: dict[str, Report]) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/reports/{report.uuid}/attachments/",
        {"file": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32)},
    )


def _duplicate_of_a_visible_one(report: Report, all_: dict[str, Report]) -> dict[str, Any]:
    other = next(r for r in all_.values() if r.pk != report.pk)
    return {"of": str(other.uuid), "comment": "same"}


def _another_administration(report: Report, all_: dict[str, Report]) -> int:
    return next(r.administration_id for r in all_.values() if r.administration_id != report.administration_id)


def _share_with_another(report: Report, all_: dict[str, Report]) -> dict[str, Any]:
    return {"share-administration": str(_another_administration(report, all_)), "share-include_personal_data": "on"}


def _entry(report: Report, _: dict[str, Report]) -> dict[str, Any]:
    return entry_post("submit", national_reference="HIJACKED")


# Every URL of the web UI that takes a report id.
REPORT_URLS: dict[str, Request] = {
    "detail": _get(""),
    "edit": _get("edit/"),
    "edit (save)": _post("edit/", _entry),
    "correct": _get("correct/"),
    "correct (save)": _post("correct/", lambda r, a: {**_entry(r, a), "reason": "x"}),
    "history": _get("history/"),
    "history (htmx fragment)": _get("history/", HX_REQUEST="true"),
    "autosave": _post("autosave/", lambda r, a: {"place": "HIJACKED"}),
    "submit": _post("submit/"),
    "return": _post("return/", lambda r, a: {"comment": "HIJACKED"}),
    "approve": _post("approve/"),
    "withdraw": _post("withdraw/", lambda r, a: {"reason": "HIJACKED"}),
    "mark duplicate": _post("mark-duplicate/", _duplicate_of_a_visible_one),
    "attachment upload": _upload,
    "attachment download": _attachment_get,
    "share": _post("shares/", _share_with_another),
    "end sharing": lambda client, report, all_: client.post(
        f"/reports/{report.uuid}/shares/{_another_administration(report, all_)}/end/"
    ),
    "assign reviewer": _post(
        "reviewers/", lambda r, a: {"reviewer-reviewer": str(User.objects.get(username="farid").pk)}
    ),
}
LIST_URLS = [
    "/reports/",
    "/reports/review/",
    "/reports/export.csv",
    "/reports/review/export.csv",
    # The dashboard and a panel's file (figures of the reader's region only; no report of another is named).
    "/dashboards/",
    "/dashboards/transport_mode.csv",
    "/dashboards/drill/?status=approved",
]


@pytest.fixture
def world(
    alice, cora, bob, dmitri, erin, farid, grace, hugo, ivan, france, germany, kazakhstan, vocab, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    made = {
        "fr_draft": build_report(by=france, status=ReportStatus.DRAFT, reference="ISO-FR-DRAFT"),
        "fr_submitted": build_report(by=france, reference="ISO-FR-SUBMITTED"),
        "fr_approved": build_report(by=france, status=ReportStatus.APPROVED, reference="ISO-FR-APPROVED"),
        "de_draft": build_report(by=germany, status=ReportStatus.DRAFT, reference="ISO-DE-DRAFT"),
        "de_submitted": build_report(by=germany, reference="ISO-DE-SUBMITTED"),
        "kz_submitted": build_report(by=kazakhstan, reference="ISO-KZ-SUBMITTED"),
    }
    for report in made.values():
        Attachment.objects.create(
            report=report,
            file=ContentFile(b"\x89PNG\r\n\x1a\n", name="a.png"),
            original_name="a.png",
            content_type="image/png",
            size=8,
            sha256="0" * 64,
            contains_personal_data=False,
        )
    return made


def snapshot(reports: dict[str, Report]) -> dict[str, tuple[Any, ...]]:
    rows = Report.objects.filter(pk__in=[r.pk for r in reports.values()]).annotate(
        shares=Count("reportgroupobjectpermission", distinct=True),
        grants=Count("reportuserobjectpermission", distinct=True),
    )
    return {
        r.national_reference: (
            r.status,
            r.version,
            r.place,
            r.duplicate_of_id,
            r.attachments.count(),
            r.shares,  # type: ignore[attr-defined]
            r.grants,  # type: ignore[attr-defined]
        )
        for r in rows
    }


@pytest.mark.parametrize("url_name", list(REPORT_URLS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_a_report_out_of_reach_is_not_found_on_every_page(client, world, persona, url_name, request):
    user: User = request.getfixturevalue(persona)
    sign_in(client, user)
    before = snapshot(world)
    hidden = [name for name in world if name not in VISIBLE[persona]]
    assert hidden
    for name in hidden:
        response = REPORT_URLS[url_name](client, world[name], world)
        assert response.status_code == 404, f"{persona} {url_name} {name}: {response.status_code}"
        if not getattr(response, "streaming", False):
            assert world[name].national_reference.encode() not in response.content
    assert snapshot(world) == before, "something out of reach was changed"


@pytest.mark.parametrize("path", LIST_URLS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_and_exports_hold_nothing_out_of_reach(client, world, persona, path, request):
    sign_in(client, request.getfixturevalue(persona))
    response = client.get(path, follow=True)  # a drill-down redirects to the report list
    assert response.status_code in (200, 403)
    if response.status_code == 403:
        return
    body = b"".join(response.streaming_content) if response.streaming else response.content
    shown = set(re.findall(rb"ISO-[A-Z]{2}-[A-Z]+", body))
    allowed = {world[name].national_reference.encode() for name in VISIBLE[persona]}
    assert shown <= allowed, shown - allowed


@pytest.mark.parametrize("persona", ["erin", "grace", "farid"])
def test_an_analyst_of_a_region_sees_no_report_of_another_region_even_when_asking_for_it(
    client, world, persona, request
):
    user: User = request.getfixturevalue(persona)
    sign_in(client, user)
    other = [r for r in world.values() if r.administration.region_id != user.region_id]
    for report in other:
        assert client.get(f"/reports/{report.uuid}/").status_code == 404
        listed = client.get("/reports/", {"administration": report.administration_id, "q": report.national_reference})
        assert f'href="/reports/{report.uuid}/"'.encode() not in listed.content  # (the search box echoes q)


@pytest.mark.parametrize("persona", ["erin", "grace", "farid", "bob", "dmitri", "hugo", "ivan"])
def test_a_french_draft_is_never_visible_outside_france(client, world, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    draft = world["fr_draft"]
    for suffix in ("", "edit/", "history/"):
        assert client.get(f"/reports/{draft.uuid}/{suffix}").status_code == 404
    assert b"ISO-FR-DRAFT" not in client.get("/reports/", {"status": "draft"}).content


@pytest.mark.parametrize("persona", ["alice", "cora", "bob", "dmitri"])
def test_an_administration_smuggled_into_the_form_is_ignored(
    client, world, persona, request, germany, kazakhstan, france
):
    user: User = request.getfixturevalue(persona)
    sign_in(client, user)
    foreign = kazakhstan if user.administration_id != kazakhstan.pk else france
    data = {
        **entry_post("draft", national_reference=f"SMUGGLED-{persona}"),
        "administration": str(foreign.pk),
        "administration_id": str(foreign.pk),
        "uuid": str(world["kz_submitted"].uuid),
    }
    response = client.post("/reports/new/", data)
    assert response.status_code == 302
    report = Report.objects.get(national_reference=f"SMUGGLED-{persona}")
    assert report.administration_id == user.administration_id
    assert report.uuid != world["kz_submitted"].uuid


@pytest.mark.parametrize("persona", ["erin", "farid", "grace", "hugo", "ivan"])
def test_who_is_not_in_an_administration_cannot_enter_a_report(client, world, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get("/reports/new/").status_code == 403
    assert client.post("/reports/new/", entry_post("draft", national_reference="NOPE")).status_code == 403
    assert not Report.objects.filter(national_reference="NOPE").exists()


# --- grants that end, and reasons that stay behind the personal-data gate -------------------------------------


def _expired_share(report: Report, administration: Any) -> None:
    """``report`` shared with ``administration`` (personal data included) until a moment now past."""
    import datetime as dt

    from django.contrib.auth.models import Group
    from django.utils import timezone
    from guardian.shortcuts import assign_perm

    from apps.reports.models import ReportGroupObjectPermission
    from apps.reports.querysets import administration_group_name

    group, _ = Group.objects.get_or_create(name=administration_group_name(administration.pk))
    assign_perm("reports.view_report", group, report)
    assign_perm("reports.view_personal_data_report", group, report)
    ReportGroupObjectPermission.objects.filter(content_object=report).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )


@pytest.mark.parametrize(("persona", "administration"), [("bob", "germany"), ("dmitri", "kazakhstan")])
def test_an_expired_share_grants_nothing_on_any_page(client, world, persona, administration, request):
    shared = world["fr_submitted"]
    _expired_share(shared, request.getfixturevalue(administration))
    sign_in(client, request.getfixturevalue(persona))
    before = snapshot(world)
    for url_name, call in REPORT_URLS.items():
        response = call(client, shared, world)
        assert response.status_code == 404, f"{persona} {url_name}: {response.status_code}"
    assert snapshot(world) == before
    for path in LIST_URLS:
        listed = client.get(path, follow=True)
        if listed.status_code == 200:
            body = b"".join(listed.streaming_content) if listed.streaming else listed.content
            assert shared.national_reference.encode() not in body, path


# Who may see the personal data of which of the world's reports (the rest of VISIBLE: the report only).
PERSONAL: dict[str, set[str]] = {name: set(reports) for name, reports in VISIBLE.items()} | {"grace": set()}
REASON = "ISO-REASON Jean Dupont"


@pytest.mark.parametrize("persona", PERSONAS)
def test_history_reasons_are_shown_only_with_personal_data_rights(client, world, persona, request):
    for report in world.values():
        report._change_reason = REASON  # type: ignore[attr-defined]
        report.save()  # a recorded change with a reason, as a correction or a withdrawal makes
    sign_in(client, request.getfixturevalue(persona))
    for name, report in world.items():
        response = client.get(f"/reports/{report.uuid}/history/")
        if name not in VISIBLE[persona]:
            assert response.status_code == 404
            continue
        shown = REASON in response.content.decode()
        assert shown is (name in PERSONAL[persona]), f"{persona} {name}: reason shown={shown}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_export_job_holds_nothing_out_of_reach_and_nobody_else_reaches_it(
    client, world, persona, request, settings, tmp_path
):
    settings.RILO_JOBS_ROOT = tmp_path / "jobs"
    sign_in(client, request.getfixturevalue(persona))
    started = client.post("/reports/export.xlsx" if persona == "erin" else "/reports/export.csv")
    assert started.status_code in (302, 403)
    if started.status_code == 403:
        assert not Job.objects.exists()
        return
    job = Job.objects.get()
    assert job_run(job_id=job.pk) == "done"
    response = client.get(f"/jobs/{job.uuid}/file/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    if persona == "erin":  # an XLSX file: its cells are compressed
        body = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml")
    shown = set(re.findall(rb"ISO-[A-Z]{2}-[A-Z]+", body))
    allowed = {world[name].national_reference.encode() for name in VISIBLE[persona]}
    assert shown and shown <= allowed, shown - allowed
    for other in PERSONAS:
        if other == persona:
            continue
        stranger = Client()
        sign_in(stranger, request.getfixturevalue(other))
        for path in ("", "status/", "file/"):
            assert stranger.get(f"/jobs/{job.uuid}/{path}").status_code == 404, (other, path)


# --- bulk uploads: an administration's uploads, on every page and API endpoint that takes one ----------------

# Who reaches France's upload: the French users who may add reports (never RILO staff: an upload holds drafts).
UPLOAD_VISIBLE = {"alice", "cora"}

UploadRequest = Callable[[Client, Any], Any]


def _upload_get(path: str) -> UploadRequest:
    return lambda client, upload: client.get(path.format(uuid=upload.uuid))


def _upload_post(path: str, data: dict[str, Any] | None = None) -> UploadRequest:
    return lambda client, upload: client.post(
        path.format(uuid=upload.uuid), data or {}, content_type="application/json"
    )


# Every URL of the web UI and the API that takes an upload's id.
UPLOAD_URLS: dict[str, UploadRequest] = {
    "page": _upload_get("/uploads/{uuid}/"),
    "page status": _upload_get("/uploads/{uuid}/status/"),
    "page marked workbook": _upload_get("/uploads/{uuid}/marked/"),
    "page commit": lambda client, upload: client.post(f"/uploads/{upload.uuid}/commit/", {"commit_as": "draft"}),
    "page cancel": lambda client, upload: client.post(f"/uploads/{upload.uuid}/cancel/"),
    "page restart": lambda client, upload: client.post(f"/uploads/{upload.uuid}/restart/"),
    "api detail": _upload_get("/api/v1/uploads/{uuid}/"),
    "api commit": _upload_post("/api/v1/uploads/{uuid}/commit/", {"submit": True}),
    "api cancel": _upload_post("/api/v1/uploads/{uuid}/cancel/"),
    "api restart": _upload_post("/api/v1/uploads/{uuid}/restart/"),
}
UPLOAD_LIST_URLS = ["/uploads/", "/api/v1/uploads/"]


@pytest.fixture
def french_upload(alice, cora, bob, dmitri, erin, farid, grace, hugo, ivan, vocab, settings, tmp_path):
    """A checked upload of France, with an error at one cell (its file kept: the marked workbook exists)."""
    from apps.uploads.services import upload_check
    from tests.uploads.engine import csv_bytes, csv_row, send

    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    upload = send(alice, csv_bytes(csv_row("ISO-FR-UPLOAD"), csv_row("ISO-FR-UPLOADED", unit="kgs")))
    upload_check(upload_id=upload.pk)
    upload.refresh_from_db()
    return upload


def _upload_snapshot() -> list[tuple[Any, ...]]:
    from apps.uploads.models import Upload

    return sorted(Upload.objects.values_list("uuid", "state", "file_name", "committed_by_id", "rows_with_errors"))


@pytest.mark.parametrize("url_name", list(UPLOAD_URLS))
@pytest.mark.parametrize("persona", [persona for persona in PERSONAS if persona not in UPLOAD_VISIBLE])
def test_another_administrations_upload_is_not_found_on_every_page_and_endpoint(
    client, french_upload, persona, url_name, request
):
    sign_in(client, request.getfixturevalue(persona))
    before = (_upload_snapshot(), Report.objects.count())

    response = UPLOAD_URLS[url_name](client, french_upload)

    # 404, or the 403 of a role without any upload page or capability (the same for every upload, made-up or not).
    assert response.status_code in (403, 404), f"{persona} {url_name}: {response.status_code}"
    if response.status_code == 403:
        made_up = type(french_upload)(uuid="00000000-0000-0000-0000-000000000000")
        assert UPLOAD_URLS[url_name](client, made_up).status_code == 403
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    assert b"ISO-FR-UPLOAD" not in body and b"seizures.csv" not in body
    assert (_upload_snapshot(), Report.objects.count()) == before, "something out of reach was changed"


@pytest.mark.parametrize("path", UPLOAD_LIST_URLS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_upload_lists_hold_only_the_administrations_uploads(client, french_upload, persona, path, request):
    sign_in(client, request.getfixturevalue(persona))

    response = client.get(path)

    assert response.status_code in (200, 403)
    shown = str(french_upload.uuid).encode() in response.content
    assert shown is (persona in UPLOAD_VISIBLE and response.status_code == 200), f"{persona} {path}"
