"""A file with no rows of a part (a workbook of the reports' sheet only) updates drafts, which keep their own
items and route: the checker and the writer count those for the rules that read them (a seizure has items; a
report sent for review is complete). A new report gets no such help."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.reference.models import Direction, LocationType
from apps.reports.choices import ReportStatus
from apps.uploads.committing import upload_commit_run
from apps.uploads.models import Upload
from apps.uploads.services import upload_check, upload_commit
from tests.builders import build_report, vocabulary

from .engine import send
from .files import write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_root(settings, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    vocabulary()
    return Path(settings.RILO_UPLOADS_ROOT)


_REPORT = ["National reference", "Kind of case", "Country of seizure", "Date of seizure", "Place"]


@pytest.mark.parametrize("submit", [False, True])
def test_a_file_of_reports_only_updates_drafts_that_keep_their_items_and_route(alice, tmp_path, submit):
    draft = build_report(
        by=alice,
        reference="RUN-DRAFT",
        status=ReportStatus.DRAFT,
        form_variant="full",
        place="Le Havre",
        location_type=LocationType.objects.get_or_create(code="seaport", defaults={"label": "Seaport"})[0],
        direction=Direction.objects.get_or_create(code="import", defaults={"label": "Import"})[0],
    )
    items, route = list(draft.items.values_list("pk", flat=True)), list(draft.route.values_list("pk", flat=True))
    assert items and route
    path = write_xlsx(
        tmp_path / "u.xlsx", {"Reports": [_REPORT, ["RUN-DRAFT", "seizure", "FR", "2025-03-14", "Rouen"]]}
    )
    upload = send(alice, path.read_bytes(), name="seizures.xlsx", variant="full")

    assert upload_check(upload_id=upload.pk) == "checked"
    upload.refresh_from_db()
    assert (upload.rows_with_errors, upload.drafts_updated) == (0, 1), list(upload.problems.values("message"))
    upload_commit(upload=upload, actor=alice, submit=submit)
    assert upload_commit_run(upload_id=upload.pk) == "committed", Upload.objects.get(pk=upload.pk).error

    draft.refresh_from_db()
    assert draft.place == "Rouen"
    assert draft.status == (ReportStatus.SUBMITTED if submit else ReportStatus.DRAFT)
    assert draft.items.count() == len(items) and draft.route.count() == len(route)


def test_a_file_of_reports_only_still_refuses_a_new_seizure_without_items(alice, tmp_path):
    path = write_xlsx(tmp_path / "u.xlsx", {"Reports": [_REPORT, ["RUN-NEW", "seizure", "FR", "2025-03-14", "Rouen"]]})
    upload = send(alice, path.read_bytes(), name="seizures.xlsx", variant="full")

    assert upload_check(upload_id=upload.pk) == "checked"

    upload.refresh_from_db()
    assert upload.rows_with_errors == 1 and upload.problems.filter(message__contains="has no item").exists()
