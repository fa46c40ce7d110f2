"""A worker writes an upload's problems in the language of its sender, as the upload's page would show them: the
worker has no request, and its own language is the site's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.uploads import tasks
from apps.uploads.choices import UploadState
from apps.uploads.housekeeping import upload_sweep
from apps.uploads.models import Upload, UploadProblem
from tests.builders import vocabulary

from .engine import csv_bytes, csv_row, send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_root(settings: Any, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()
    return Path(settings.RILO_UPLOADS_ROOT)


def _unit_problem(sender: User) -> str:
    upload = send(sender, csv_bytes(csv_row("FR-LANG-1", unit="kgs")))
    tasks.check(upload.pk)  # the worker's task, run in this process
    return UploadProblem.objects.get(upload=upload, message__contains="kgs").message


def test_the_problems_are_written_in_the_language_the_sender_chose(alice: User) -> None:
    alice.language = "fr"
    alice.save(update_fields=["language"])
    # The nearest codes to use, as in English (the validator's message was recognised in French too).
    assert _unit_problem(alice).startswith("Unité : 'kgs' n'est pas un code en usage ; utilisez KGM (")


def test_a_sender_without_a_choice_gets_the_sites_language(alice: User) -> None:
    assert _unit_problem(alice).startswith("Unit: 'kgs' is not a code in use; use KGM (")


def test_the_sweep_gives_up_on_an_upload_in_its_senders_language(alice: User, settings: Any) -> None:
    settings.RILO_UPLOADS_MAX_ATTEMPTS = 1
    alice.language = "es"
    alice.save(update_fields=["language"])
    upload = send(alice, csv_bytes(csv_row("FR-LANG-2")))
    silent = timezone.now() - dt.timedelta(seconds=settings.RILO_UPLOADS_HEARTBEAT_TIMEOUT + 1)
    Upload.objects.filter(pk=upload.pk).update(state=UploadState.CHECKING, heartbeat_at=silent)

    assert upload_sweep()["failed"] == 1  # the sweep runs in the site's language (English)
    upload.refresh_from_db()
    assert upload.error.startswith("El servidor"), upload.error


def test_a_sender_whose_language_was_removed_from_the_site_gets_the_sites_language(alice: User, settings: Any) -> None:
    alice.language = "fr"
    alice.save(update_fields=["language"])
    settings.LANGUAGES = [code_name for code_name in settings.LANGUAGES if code_name[0] != "fr"]

    assert _unit_problem(alice).startswith("Unit: 'kgs' is not a code in use; use KGM (")


def test_the_sweep_writes_in_the_sites_language_for_a_sender_whose_language_was_removed(
    alice: User, settings: Any
) -> None:
    settings.RILO_UPLOADS_MAX_ATTEMPTS = 1
    alice.language = "es"
    alice.save(update_fields=["language"])
    settings.LANGUAGES = [code_name for code_name in settings.LANGUAGES if code_name[0] != "es"]
    upload = send(alice, csv_bytes(csv_row("FR-LANG-3")))
    silent = timezone.now() - dt.timedelta(seconds=settings.RILO_UPLOADS_HEARTBEAT_TIMEOUT + 1)
    Upload.objects.filter(pk=upload.pk).update(state=UploadState.CHECKING, heartbeat_at=silent)

    assert upload_sweep()["failed"] == 1
    upload.refresh_from_db()
    assert upload.error.startswith("The server"), upload.error
