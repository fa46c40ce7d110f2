"""The uploads' admin: a staff account of an administration sees its administration's uploads and no other (404);
a superuser sees every administration's, but not what may name a person unless the upload is its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.uploads.models import Upload
from tests.factories import UserFactory
from tests.helpers import sign_in

from .engine import csv_bytes, csv_row, send

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:uploads_upload_changelist")
FRENCH_FILE = "saisies-jean-dupont.csv"  # a file's name may name a person
GERMAN_FILE = "beschlagnahmen-hans-becker.csv"


def change(upload: Upload) -> str:
    return reverse("admin:uploads_upload_change", args=[upload.pk])


def history(upload: Upload) -> str:
    return reverse("admin:uploads_upload_history", args=[upload.pk])


@pytest.fixture(autouse=True)
def uploads_root(settings: Any, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    return Path(settings.RILO_UPLOADS_ROOT)


@pytest.fixture
def french(alice: User) -> Upload:
    return send(alice, csv_bytes(csv_row("FR-ADM-1")), name=FRENCH_FILE)


@pytest.fixture
def german(bob: User) -> Upload:
    return send(bob, csv_bytes(csv_row("DE-ADM-1")), name=GERMAN_FILE)


def staff(user: User) -> Client:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client = Client()
    sign_in(client, User.objects.get(pk=user.pk), verified=True)
    return client


def test_an_administrations_staff_lists_its_administrations_uploads_only(cora, french, german):
    client = staff(cora)

    listing = client.get(CHANGELIST)

    assert listing.status_code == 200
    assert str(french.uuid) in listing.text
    assert str(german.uuid) not in listing.text and "German Customs" not in listing.text


def test_an_administrations_staff_cannot_open_another_administrations_upload(cora, french, german):
    client = staff(cora)

    for url in (change(german), history(german)):
        response = client.get(url)
        assert response.status_code == 404, url
        assert GERMAN_FILE not in response.text and str(german.uuid) not in response.text
    assert client.get(change(french)).status_code == 200


def test_an_administrations_staff_sees_its_own_uploads_file_name_and_sender(cora, french):
    page = staff(cora).get(change(french))

    assert page.status_code == 200
    assert FRENCH_FILE in page.text and "alice" in page.text
    assert "FR-ADM-1" not in page.text  # the preview (the rows) is never shown here


def test_a_superuser_sees_every_administrations_uploads_but_no_file_name_nor_sender(region_we, french, german):
    root = UserFactory.create(username="root", role="", is_superuser=True)
    client = staff(root)

    listing = client.get(CHANGELIST)
    assert str(french.uuid) in listing.text and str(german.uuid) in listing.text
    for upload, name in ((french, FRENCH_FILE), (german, GERMAN_FILE)):
        page = client.get(change(upload))
        assert page.status_code == 200
        assert str(upload.uuid) in page.text and upload.get_state_display() in page.text
        assert name not in page.text and "Uploaded by" not in page.text
        assert "alice" not in page.text and "bob" not in page.text
    assert FRENCH_FILE not in listing.text and GERMAN_FILE not in listing.text
