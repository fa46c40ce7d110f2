"""A CSV's characters, end to end through the services: the encoding the officer chose (or none: detected) is kept
apart from the one the check found, so that the commit's second check and a restart read the file exactly as the
first check did; an encoding not offered is refused in words."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, cast

import pytest
from django.apps import apps as django_apps
from django.forms import ChoiceField
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from apps.reports.models import ReportItem
from apps.uploads.api.serializers import UploadCreateSerializer
from apps.uploads.checked import checked_delete, checked_path
from apps.uploads.choices import UploadState
from apps.uploads.columns import csv_columns
from apps.uploads.committing import upload_commit_run
from apps.uploads.downloads import upload_template_file
from apps.uploads.forms import UploadForm
from apps.uploads.models import Upload
from apps.uploads.reading_csv import ENCODINGS, csv_codec
from apps.uploads.services import UploadRefusedError, upload_check, upload_commit, upload_restart
from apps.uploads.storage import stored_path
from tests.builders import vocabulary
from tests.helpers import sign_in

from .engine import VARIANT, csv_bytes, csv_row, send, stored_files, written

pytestmark = pytest.mark.django_db

WESTERN = "Crème brûlée façon sofa"  # Windows-1252 has these letters
CYRILLIC = "Сигареты в диване"  # UTF-8 and UTF-16 have these, Windows-1252 not


@pytest.fixture(autouse=True)
def uploads_root(settings, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()
    return Path(settings.RILO_UPLOADS_ROOT)


def from_the_template(*rows: dict[str, str]) -> bytes:
    """The CSV template the page serves (its byte-order mark, its headers), filled in below its header row."""
    template = upload_template_file(file_format="csv", variant=VARIANT).content
    assert isinstance(template, bytes) and template.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    keys = [column.key for column in csv_columns(variant=VARIANT)]
    lines = [",".join(row.get(key, "") for key in keys) for row in rows]
    return template + ("\r\n".join(lines) + "\r\n").encode("utf-8")


def two_rows(description: str) -> list[dict[str, str]]:
    return [csv_row("ENC-1", description=description), csv_row("ENC-2", description=description)]


# (what the file is, its bytes, the encoding the officer chose, the codec the check reads it with, its text)
CASES = [
    ("template, detected", from_the_template(*two_rows(CYRILLIC)), None, "utf-8-sig", CYRILLIC),
    ("template, UTF-8 chosen", from_the_template(*two_rows(CYRILLIC)), "utf-8", "utf-8-sig", CYRILLIC),
    ("Windows-1252, chosen", csv_bytes(*two_rows(WESTERN), encoding="cp1252"), "windows-1252", "cp1252", WESTERN),
    ("Windows-1252, detected", csv_bytes(*two_rows(WESTERN), encoding="cp1252"), None, "cp1252", WESTERN),
    ("UTF-16 without BOM, detected", csv_bytes(*two_rows(CYRILLIC), encoding="utf-16-le"), None, "utf-16-le", CYRILLIC),
    (
        "UTF-16 without BOM, chosen",
        csv_bytes(*two_rows(CYRILLIC), encoding="utf-16-le"),
        "utf-16",
        "utf-16-le",
        CYRILLIC,
    ),
]
IDS = [case[0] for case in CASES]


def checked(upload: Upload) -> Upload:
    outcome = upload_check(upload_id=upload.pk)
    upload.refresh_from_db()
    assert outcome == "checked", upload.error
    return upload


def commit(upload: Upload, actor) -> str:
    upload_commit(upload=upload, actor=actor, submit=False)
    return upload_commit_run(upload_id=upload.pk)


def descriptions() -> list[str]:
    return list(ReportItem.objects.order_by("report__national_reference").values_list("description", flat=True))


@pytest.mark.parametrize(("_what", "content", "chosen", "codec", "text"), CASES, ids=IDS)
def test_the_commits_second_check_reads_the_file_as_the_first_did(alice, _what, content, chosen, codec, text):
    upload = checked(send(alice, content, encoding=chosen))
    assert (upload.encoding, upload.detected_encoding) == (chosen or "", codec)
    assert [entry["items"][0]["description"] for entry in upload.preview] == [text, text]
    checked_delete(upload.file_name)  # the kept result gone: the commit reads and checks the file again
    assert not checked_path(upload.file_name).exists()

    assert commit(upload, alice) == "committed", Upload.objects.get(pk=upload.pk).error

    upload.refresh_from_db()
    assert (upload.state, upload.new_reports) == (UploadState.COMMITTED, 2)
    assert (upload.encoding, upload.detected_encoding) == (chosen or "", codec)
    assert descriptions() == [text, text]


@pytest.mark.parametrize(("_what", "content", "chosen", "codec", "text"), CASES, ids=IDS)
def test_an_upload_restarted_after_its_commit_failed_is_read_as_at_first(
    alice, settings, _what, content, chosen, codec, text
):
    upload = checked(send(alice, content, encoding=chosen))
    checked_delete(upload.file_name)
    settings.RILO_UPLOAD_MAX_ROWS = 1  # the commit's second check finds the file too long: the upload fails
    assert commit(upload, alice) == "refused"
    upload.refresh_from_db()
    assert upload.state == UploadState.FAILED
    settings.RILO_UPLOAD_MAX_ROWS = 200_000

    upload = checked(upload_restart(upload=upload, actor=alice))

    assert (upload.encoding, upload.detected_encoding) == (chosen or "", codec)
    assert [entry["items"][0]["description"] for entry in upload.preview] == [text, text]
    assert commit(upload, alice) == "committed"
    assert descriptions() == [text, text]


def test_the_page_and_the_api_offer_the_encodings_the_reader_takes():
    offered = [name for name, _label in ENCODINGS]
    form_field = UploadForm().fields["encoding"]
    api_field = UploadCreateSerializer().fields["encoding"]
    assert isinstance(form_field, ChoiceField) and isinstance(api_field, serializers.ChoiceField)
    assert [value for value, _label in cast(list[tuple[str, Any]], form_field.choices)] == ["", *offered]
    assert list(api_field.choices) == offered


def test_the_uploads_page_shows_the_encoding_the_check_read_the_file_with(client, alice):
    upload = checked(send(alice, csv_bytes(*two_rows(WESTERN), encoding="cp1252"), encoding="windows-1252"))
    sign_in(client, alice)

    page = client.get(reverse("uploads:detail", args=[upload.uuid])).content.decode()

    assert "CSV, cp1252, " in page and WESTERN in page


@pytest.mark.parametrize("given", ["klingon", "cp1252", "latin-1", "UTF8"])
def test_an_encoding_not_offered_is_refused_in_words_and_nothing_is_kept(alice, uploads_root, given):
    before = written()

    with pytest.raises(UploadRefusedError) as refused:
        send(alice, csv_bytes(csv_row("ENC-1")), encoding=given)

    assert given in refused.value.message and "windows-1252" in refused.value.message
    assert refused.value.extra == {"encoding": [refused.value.message]}
    assert written() == before and stored_files(uploads_root) == []


def test_the_uploads_kept_before_are_mended_so_that_every_later_reading_reads_the_same_text(alice):
    """Before, the check wrote the codec it read with over the encoding chosen: the migration moves it apart and
    chooses the encoding offered that reads the file as it was read."""
    mend = importlib.import_module("apps.uploads.migrations.0005_encoding_chosen_and_read")
    # (encoding as kept before, checked) -> (encoding chosen, encoding read) once mended
    kept = {
        ("utf-8-sig", True): ("utf-8", "utf-8-sig"),
        ("utf-8", True): ("utf-8", "utf-8"),
        ("utf-16-le", True): ("utf-16", "utf-16-le"),
        ("utf-16", True): ("utf-16", "utf-16"),
        ("utf-16-be", True): ("", "utf-16-be"),
        ("cp1252", True): ("windows-1252", "cp1252"),
        ("", True): ("", ""),
        ("cp1252", False): ("windows-1252", ""),  # chosen, not yet checked
        ("utf-8", False): ("utf-8", ""),
        ("", False): ("", ""),
    }
    uploads = {}
    for encoding, was_checked in kept:
        content = csv_bytes(*two_rows(WESTERN), encoding=encoding or "utf-8")
        upload = send(alice, content)
        checked_at = timezone.now() if was_checked else None
        Upload.objects.filter(pk=upload.pk).update(encoding=encoding, checked_at=checked_at)
        uploads[encoding, was_checked] = upload

    mend._apart(django_apps, None)

    for upload in uploads.values():
        upload.refresh_from_db()
    assert {key: (upload.encoding, upload.detected_encoding) for key, upload in uploads.items()} == kept
    for (encoding, _was_checked), upload in uploads.items():
        path = stored_path(upload.file_name)
        read_before = path.read_text(encoding=encoding or "utf-8")
        assert path.read_text(encoding=csv_codec(path, upload.encoding or None)) == read_before, encoding
