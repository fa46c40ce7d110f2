"""A possible duplicate by conveyance is named only to whom may see the recorded report's conveyance identifier
(personal and restricted): otherwise the answer "already recorded (same conveyance)" would confirm a guessed
plate, IMO or container number of a report shared without its personal data."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from apps.reports.choices import ReportStatus
from apps.reports.services import report_share_with_administration
from apps.uploads.columns import csv_columns
from apps.uploads.models import UploadProblem
from apps.uploads.services import upload_check
from tests.builders import build_report, vocabulary

from .engine import csv_row, send

pytestmark = pytest.mark.django_db

CONTAINER = "MSCU1234565"


@pytest.fixture(autouse=True)
def uploads_root(settings: Any, tmp_path: Any) -> None:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()


def _full_csv(**values: Any) -> bytes:
    keys = [column.key for column in csv_columns(variant="full")]
    row = {**csv_row("FR-GUESS"), **values}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(keys)
    writer.writerow([row.get(key, "") for key in keys])
    return buffer.getvalue().encode()


def _named(alice: Any) -> str:
    upload = send(
        alice,
        _full_csv(
            conveyance_1_transport_mode="1", conveyance_1_identifier_type="container", conveyance_1_identifier=CONTAINER
        ),
        variant="full",
    )
    assert upload_check(upload_id=upload.pk) == "checked"
    return " ".join(UploadProblem.objects.filter(upload=upload).values_list("message", flat=True))


@pytest.mark.parametrize("with_personal_data", [False, True])
def test_a_conveyance_match_is_named_only_with_the_right_to_see_the_identifier(
    alice: Any, bob: Any, erin: Any, france: Any, with_personal_data: bool
) -> None:
    german = build_report(
        by=bob,
        reference="DE-SHARED",
        status=ReportStatus.APPROVED,
        conveyances=[{"identifier_type": "container", "identifier": CONTAINER}],
    )
    report_share_with_administration(
        report=german, administration=france, actor=erin, include_personal_data=with_personal_data
    )

    named = _named(alice)

    assert ("DE-SHARED" in named) is with_personal_data, named
