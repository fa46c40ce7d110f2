"""The scripts' catalogue's ETag comes from the compiled catalogues' contents, not from when a process started:
every worker of a deployment answers the same, and a changed translation changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from apps.core.catalogues import compiled_catalogues_version


def _copy_of_the_catalogues(tmp_path: Path) -> Path:
    copy = tmp_path / "locale"
    shutil.copytree(Path(settings.LOCALE_PATHS[0]), copy)
    return copy


def test_the_same_catalogues_give_the_same_version(tmp_path: Path) -> None:
    copy = _copy_of_the_catalogues(tmp_path)
    assert compiled_catalogues_version([copy]) == compiled_catalogues_version()
    assert compiled_catalogues_version([copy]) == compiled_catalogues_version([copy])


def test_a_changed_translation_changes_the_version(tmp_path: Path) -> None:
    copy = _copy_of_the_catalogues(tmp_path)
    before = compiled_catalogues_version([copy])
    mo = copy / "fr" / "LC_MESSAGES" / "djangojs.mo"
    mo.write_bytes(mo.read_bytes() + b"\0")
    assert compiled_catalogues_version([copy]) != before


@pytest.mark.django_db
def test_the_scripts_catalogues_etag_is_the_catalogues_version_and_language(client: Client) -> None:
    response = client.get(reverse("javascript_catalog"), HTTP_ACCEPT_LANGUAGE="ru")
    assert response["ETag"] == f'"ru-{compiled_catalogues_version()}"'
