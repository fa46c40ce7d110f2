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
from apps.uploads.choices import ProblemKind
from apps.uploads.columns import csv_columns
from apps.uploads.models import UploadProblem
from apps.uploads.selectors import upload_problems_seen
from apps.uploads.services import upload_check
from tests.builders import build_report, vocabulary

from .engine import csv_row, send, without_personal_data

pytestmark = pytest.mark.django_db

CONTAINER = "MSCU1234565"


@pytest.fixture(autouse=True)
def uploads_root(settings: Any, tmp_path: Any) -> None:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()


def _full_csv(**values: Any) -> bytes:
    return _rows_csv({**csv_row("FR-GUESS"), **values})


def _rows_csv(*rows: dict[str, Any]) -> bytes:
    keys = [column.key for column in csv_columns(variant="full")]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(keys)
    for row in rows:
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


def test_a_conveyance_match_is_withheld_from_a_colleague_without_the_right_to_see_personal_data(
    alice: Any, cora: Any
) -> None:
    conveyance = {
        "conveyance_1_transport_mode": "1",
        "conveyance_1_identifier_type": "container",
        "conveyance_1_identifier": CONTAINER,
    }
    upload = send(alice, _rows_csv(csv_row("FR-ONE", **conveyance), csv_row("FR-TWO", **conveyance)), variant="full")
    assert upload_check(upload_id=upload.pk) == "checked"
    problems = list(UploadProblem.objects.filter(upload=upload, kind=ProblemKind.DUPLICATE).order_by("pk"))

    def messages(user: Any) -> list[str]:
        return [problem.message for problem in upload_problems_seen(user=user, upload=upload, problems=problems)]

    # The same seizure by its items (named to every colleague), and by its container (to those who may see it).
    assert [problem.personal for problem in problems] == [False, True, False, True]
    assert "report FR-TWO of this file (same conveyance)" in messages(alice)[1]
    withheld = messages(without_personal_data(cora))
    assert "same conveyance" not in " ".join(withheld)
    assert "report FR-TWO of this file" in withheld[0]
    assert withheld[1].startswith("A possible duplicate found by personal data")
    upload.refresh_from_db()
    assert upload.duplicate_candidates == 2
