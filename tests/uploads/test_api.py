"""The uploads API: send a file (202 and its URL), read its state, progress, counts and problems, commit it,
cancel it; token scopes; size limits while the body streams; another administration's upload is a 404; the
operations are in the OpenAPI schema. Every refusal asserts that nothing was written."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from apps.uploads.api.serializers import PROBLEMS_IN_DETAIL
from apps.uploads.choices import UploadState
from apps.uploads.committing import upload_commit_run
from apps.uploads.models import Upload
from apps.uploads.services import upload_check
from tests.builders import vocabulary
from tests.helpers import bearer

from .engine import csv_bytes, csv_row, send, stored_files, written

pytestmark = pytest.mark.django_db

URL = "/api/v1/uploads/"
GOOD = csv_bytes(csv_row("API-1"), csv_row("API-2", quantity="1000"), csv_row("API-3", unit="kgs"))
CLEAN = csv_bytes(csv_row("API-1"), csv_row("API-2", quantity="1000"))


@pytest.fixture(autouse=True)
def uploads_root(settings, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()
    return Path(settings.RILO_UPLOADS_ROOT)


@pytest.fixture
def alice_auth(alice, issue_token) -> dict[str, str]:
    return bearer(issue_token(alice, "read", "write"))


def _post_file(api, auth, content: bytes, *, name: str = "seizures.csv", **fields):
    return api.post(
        URL, {"file": SimpleUploadedFile(name, content), "variant": "simplified", **fields}, format="multipart", **auth
    )


def test_a_sent_file_answers_202_with_the_uploads_url_and_nothing_is_written_yet(api, alice, alice_auth):
    before = Report.objects.count()

    response = _post_file(api, alice_auth, GOOD)

    assert response.status_code == 202, response.json()
    upload = Upload.objects.get()
    assert response["Location"] == f"http://testserver{URL}{upload.uuid}/"
    assert response.json()["url"] == response["Location"]
    assert response.json()["state"] == UploadState.QUEUED
    assert upload.administration_id == alice.administration_id and upload.uploaded_by_id == alice.pk
    assert Report.objects.count() == before


def test_an_administration_given_in_the_body_is_ignored(api, alice, alice_auth, germany):
    response = _post_file(api, alice_auth, GOOD, administration=str(germany.pk))

    assert response.status_code == 202
    assert Upload.objects.get().administration_id == alice.administration_id


def test_the_state_progress_counts_and_problems_are_those_of_the_preview(api, alice, alice_auth):
    upload = Upload.objects.get(uuid=_post_file(api, alice_auth, GOOD).json()["uuid"])
    upload_check(upload_id=upload.pk)

    body = api.get(f"{URL}{upload.uuid}/", **alice_auth).json()

    assert body["state"] == UploadState.CHECKED and body["may_commit"] is False
    assert body["progress"] == {"rows_read": 3, "rows_checked": 3, "rows_written": 0, "rows_total": 3}
    assert body["counts"] == {"new_reports": 2, "drafts_updated": 0, "rows_with_errors": 1, "duplicate_candidates": 0}
    errors = [problem for problem in body["problems"] if problem["kind"] == "error"]
    assert [(p["sheet"], p["row"], p["column"], p["field"]) for p in errors] == [("CSV", 4, "unit", "unit")]
    assert "'kgs' is not a code in use" in errors[0]["message"]
    assert [entry["national_reference"] for entry in body["preview"]] == ["API-1", "API-2"]


@pytest.fixture
def thirty_errors(alice):
    """Alice's checked upload of 30 rows, each with a unit that is no unit (rows 2 to 31 of the CSV file)."""
    upload = send(alice, csv_bytes(*(csv_row(f"API-{n}", unit="kgs") for n in range(30))))
    upload_check(upload_id=upload.pk)
    return upload


def test_the_detail_quotes_the_first_problems_and_says_how_many_there_are(api, alice_auth, thirty_errors):
    body = api.get(f"{URL}{thirty_errors.uuid}/", **alice_auth).json()

    assert len(body["problems"]) == PROBLEMS_IN_DETAIL < 30
    assert [problem["row"] for problem in body["problems"]] == list(range(2, 2 + PROBLEMS_IN_DETAIL))
    assert body["problems_total"] == 30 and body["counts"]["rows_with_errors"] == 30
    assert body["problems_url"] == f"http://testserver{URL}{thirty_errors.uuid}/problems/"


def test_every_problem_is_read_a_page_at_a_time_in_file_order(api, alice_auth, thirty_errors):
    rows = []
    page = api.get(f"{URL}{thirty_errors.uuid}/problems/?page_size=12", **alice_auth).json()
    assert page["count"] == 30
    while True:
        rows += [(problem["row"], problem["column"], problem["kind"]) for problem in page["results"]]
        if not page["next"]:
            break
        page = api.get(page["next"], **alice_auth).json()

    assert rows == [(row, "unit", "error") for row in range(2, 32)]


def test_the_problems_are_filtered_by_row_sheet_and_kind(api, alice_auth, thirty_errors):
    def rows(query: str) -> list[int]:
        response = api.get(f"{URL}{thirty_errors.uuid}/problems/?{query}", **alice_auth)
        assert response.status_code == 200, response.json()
        return [problem["row"] for problem in response.json()["results"]]

    assert rows("row=7") == [7]
    assert rows("sheet=CSV&row=7&kind=error") == [7]
    assert rows("sheet=Items") == [] and rows("kind=duplicate") == [] and rows("row=900") == []
    refused = (("kind=warning", "kind"), ("row=0", "row"), ("row=x", "row"), ("row=", "row"), ("sheet=C%00SV", "sheet"))
    for query, field in refused:
        response = api.get(f"{URL}{thirty_errors.uuid}/problems/?{query}", **alice_auth)
        assert response.status_code == 400 and list(response.json()["details"]) == [field], query


def test_the_problems_of_a_clean_upload_are_an_empty_page(api, alice, alice_auth):
    upload = send(alice, CLEAN)
    upload_check(upload_id=upload.pk)

    assert api.get(f"{URL}{upload.uuid}/", **alice_auth).json()["problems_total"] == 0
    body = api.get(f"{URL}{upload.uuid}/problems/", **alice_auth).json()
    assert (body["count"], body["results"]) == (0, [])


def test_a_checked_upload_is_committed_by_the_api_as_drafts_or_for_review(api, alice, alice_auth):
    upload = Upload.objects.get(uuid=_post_file(api, alice_auth, CLEAN).json()["uuid"])
    upload_check(upload_id=upload.pk)

    response = api.post(f"{URL}{upload.uuid}/commit/", {"submit": True}, format="json", **alice_auth)

    assert response.status_code == 202, response.json()
    assert response.json()["state"] == UploadState.COMMITTING and response["Location"].endswith(f"{upload.uuid}/")
    assert upload_commit_run(upload_id=upload.pk) == "committed"
    body = api.get(f"{URL}{upload.uuid}/", **alice_auth).json()
    assert body["state"] == UploadState.COMMITTED and body["progress"]["rows_written"] == 2
    statuses = Report.objects.filter(national_reference__startswith="API-").values_list("status", flat=True)
    assert sorted(statuses) == [ReportStatus.SUBMITTED] * 2


def test_an_upload_with_errors_cannot_be_committed_and_nothing_is_written(api, alice, alice_auth):
    upload = Upload.objects.get(uuid=_post_file(api, alice_auth, GOOD).json()["uuid"])
    upload_check(upload_id=upload.pk)
    before = written()

    response = api.post(f"{URL}{upload.uuid}/commit/", {"submit": False}, format="json", **alice_auth)

    assert response.status_code == 409 and response.json()["type"] == "upload_has_errors"
    assert written() == before


def test_a_cancelled_upload_answers_its_state(api, alice, alice_auth):
    upload = send(alice, CLEAN)

    response = api.post(f"{URL}{upload.uuid}/cancel/", **alice_auth)

    assert response.status_code == 200 and response.json()["state"] == UploadState.CANCELLED
    assert api.post(f"{URL}{upload.uuid}/cancel/", **alice_auth).status_code == 409


def test_the_list_holds_the_administrations_uploads_only(api, alice, cora, bob, alice_auth):
    mine, colleagues, theirs = send(alice, CLEAN), send(cora, CLEAN), send(bob, CLEAN)

    listed = [row["uuid"] for row in api.get(URL, **alice_auth).json()["results"]]

    assert listed == [str(colleagues.uuid), str(mine.uuid)]
    assert str(theirs.uuid) not in listed


@pytest.mark.parametrize("persona", ["bob", "dmitri", "erin", "grace", "farid", "hugo", "ivan"])
def test_another_administrations_upload_is_not_found_on_every_endpoint(api, alice, persona, request, issue_token):
    upload = send(alice, CLEAN)
    upload_check(upload_id=upload.pk)
    auth = bearer(issue_token(request.getfixturevalue(persona), "read", "write"))
    before = written()

    for method, suffix in (
        ("get", ""),
        ("get", "problems/"),
        ("post", "commit/"),
        ("post", "cancel/"),
        ("post", "restart/"),
    ):
        response = getattr(api, method)(f"{URL}{upload.uuid}/{suffix}", format="json", **auth)
        assert response.status_code in (403, 404), (persona, suffix, response.status_code)
        if response.status_code == 403:  # a role without the capability: the same answer as a made-up uuid
            made_up = getattr(api, method)(f"{URL}00000000-0000-0000-0000-000000000000/{suffix}", **auth)
            assert made_up.status_code == 403
        assert b"seizures.csv" not in response.content
    assert str(upload.uuid) not in api.get(URL, **auth).content.decode()
    assert written() == before


def test_a_national_system_uploads_for_its_administration(api, nsys, issue_token, france):
    response = _post_file(api, bearer(issue_token(nsys, "read", "write")), CLEAN)

    assert response.status_code == 202
    assert Upload.objects.get().administration_id == france.pk


def test_a_read_only_token_cannot_upload_or_commit(api, alice, issue_token, uploads_root):
    auth = bearer(issue_token(alice, "read"))
    before = written()

    response = _post_file(api, auth, CLEAN)

    assert response.status_code == 403 and response.json()["type"] == "insufficient_scope"
    upload = send(alice, CLEAN)
    before = written()
    assert api.post(f"{URL}{upload.uuid}/commit/", {"submit": False}, format="json", **auth).status_code == 403
    assert api.get(f"{URL}{upload.uuid}/", **auth).status_code == 200
    assert written() == before


def test_a_file_past_the_size_limit_is_refused_with_413_and_nothing_is_kept(api, alice_auth, settings, uploads_root):
    settings.RILO_UPLOAD_MAX_BYTES = 1000
    before = written()

    response = _post_file(api, alice_auth, CLEAN + b"x" * 2000)

    assert response.status_code == 413 and response.json()["type"] == "upload_too_large", response.json()
    assert written() == before and stored_files(uploads_root) == []


def test_a_body_declared_past_the_limit_is_refused_without_being_read(api, alice_auth, settings, uploads_root):
    settings.RILO_UPLOAD_MAX_BYTES = 1000
    before = written()

    response = api.generic(
        "POST",
        URL,
        b"--x\r\nnot even read",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(10 * 1024 * 1024 * 1024),
        **alice_auth,
    )

    assert response.status_code == 413 and response.json()["type"] == "upload_too_large"
    assert written() == before and stored_files(uploads_root) == []


def test_a_file_that_is_not_a_spreadsheet_is_refused_and_nothing_is_kept(api, alice_auth, uploads_root):
    before = written()

    response = _post_file(api, alice_auth, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, name="seizures.csv")

    assert response.status_code == 400 and response.json()["type"] == "upload_refused"
    assert "image" in response.json()["message"]
    assert written() == before and stored_files(uploads_root) == []


def test_a_refused_file_is_named_in_the_details_as_any_field_error_is(api, alice_auth):
    response = _post_file(api, alice_auth, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, name="seizures.csv")

    body = response.json()
    assert response.status_code == 400 and body["type"] == "upload_refused"
    assert body["details"] == {"file": [body["message"]]}


def test_a_file_past_the_size_limit_is_named_in_the_details(api, alice_auth, settings):
    settings.RILO_UPLOAD_MAX_BYTES = 1000

    response = _post_file(api, alice_auth, CLEAN + b"x" * 2000)

    body = response.json()
    assert response.status_code == 413 and body["details"] == {"file": [body["message"]]}


@pytest.mark.parametrize("given", ["klingon", "cp1252", "UTF-8"])
def test_an_encoding_not_offered_is_refused_with_the_ones_that_are(api, alice_auth, uploads_root, given):
    before = written()

    response = _post_file(api, alice_auth, CLEAN, encoding=given)

    body = response.json()
    assert response.status_code == 400 and list(body["details"]) == ["encoding"], body
    [message] = body["details"]["encoding"]
    assert f"“{given}” is not an encoding read here" in message and "utf-8, utf-16, windows-1252" in message
    assert message in body["message"]
    assert written() == before and stored_files(uploads_root) == []


def test_the_encoding_chosen_is_kept_and_the_one_read_is_shown_once_checked(api, alice_auth):
    sent = _post_file(
        api, alice_auth, csv_bytes(csv_row("API-1", description="Crème"), encoding="cp1252"), encoding="windows-1252"
    )
    assert sent.status_code == 202, sent.json()
    assert (sent.json()["encoding"], sent.json()["detected_encoding"]) == ("windows-1252", "")
    upload_check(upload_id=Upload.objects.get().pk)

    body = api.get(sent.json()["url"], **alice_auth).json()

    assert (body["state"], body["encoding"], body["detected_encoding"]) == (
        UploadState.CHECKED,
        "windows-1252",
        "cp1252",
    )
    assert body["preview"][0]["items"][0]["description"] == "Crème"


def test_a_body_without_a_file_is_a_field_error(api, alice_auth):
    response = api.post(URL, {"variant": "simplified"}, format="multipart", **alice_auth)

    assert response.status_code == 400 and "file" in response.json()["details"]
    assert not Upload.objects.exists()


def test_the_upload_operations_are_in_the_openapi_schema(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert {"get", "post"} <= set(schema["paths"]["/api/v1/uploads/"])
    assert "multipart/form-data" in schema["paths"]["/api/v1/uploads/"]["post"]["requestBody"]["content"]
    assert "202" in schema["paths"]["/api/v1/uploads/"]["post"]["responses"]
    assert "413" in schema["paths"]["/api/v1/uploads/"]["post"]["responses"]
    assert "get" in schema["paths"]["/api/v1/uploads/{uuid}/"]
    assert "202" in schema["paths"]["/api/v1/uploads/{uuid}/commit/"]["post"]["responses"]
    assert "get" in schema["paths"]["/api/v1/uploads/template/"]
    problems = schema["paths"]["/api/v1/uploads/{uuid}/problems/"]["get"]
    assert {"page", "page_size", "kind", "sheet", "row"} <= {parameter["name"] for parameter in problems["parameters"]}
    assert problems["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PaginatedUploadProblemList"
    )
    assert "404" in problems["responses"]
    detail = schema["components"]["schemas"]["UploadDetail"]["properties"]
    assert {"state", "progress", "counts", "problems", "problems_total", "problems_url", "preview"} <= set(detail)
    assert {"encoding", "detected_encoding"} <= set(detail)
    sent = schema["paths"]["/api/v1/uploads/"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    encoding = schema["components"]["schemas"][sent["$ref"].rsplit("/", 1)[-1]]["properties"]["encoding"]
    choices = (
        encoding.get("enum") or schema["components"]["schemas"][encoding["oneOf"][0]["$ref"].rsplit("/", 1)[-1]]["enum"]
    )
    assert {"utf-8", "utf-16", "windows-1252"} <= set(choices)


TEMPLATE_URL = f"{URL}template/"


@pytest.mark.parametrize(
    ("file_format", "content_type"),
    [("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("csv", "text/csv")],
)
def test_the_template_is_downloaded_in_the_format_asked_for(api, alice, issue_token, file_format, content_type):
    response = api.get(TEMPLATE_URL, {"format": file_format, "variant": "full"}, **bearer(issue_token(alice)))

    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"].split(";")[0] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="rilo-reports-full.{file_format}"'


@pytest.mark.parametrize("query", [{"format": "pdf"}, {"format": ""}, {"variant": "short"}, {"variant": ""}])
def test_a_template_in_a_format_or_variant_that_does_not_exist_is_a_field_error(api, alice, issue_token, query):
    response = api.get(TEMPLATE_URL, query, **bearer(issue_token(alice)))

    assert response.status_code == 400 and set(response.json()["details"]) == set(query)


def test_the_template_is_not_for_an_account_that_may_not_upload(api, erin, issue_token):
    response = api.get(TEMPLATE_URL, {"format": "csv"}, **bearer(issue_token(erin)))

    assert response.status_code == 403 and response.json()["type"] == "permission_denied"


def test_the_templates_media_types_are_in_the_openapi_schema(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    responses = schema["paths"]["/api/v1/uploads/template/"]["get"]["responses"]
    assert set(responses["200"]["content"]) == {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/csv",
    }
    assert all(body["schema"]["format"] == "binary" for body in responses["200"]["content"].values())
    assert responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
