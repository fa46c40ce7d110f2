"""The reports the page tests count: the region Western Europe's approved reports by road (France 3, Germany 2),
a French report still submitted, and one of the region CIS (Kazakhstan), with the summaries built."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from apps.dashboards.services import statistics_rebuild
from apps.reports.choices import ReportStatus
from tests.builders import build_report, vocabulary


@pytest.fixture
def counted_world(france: Any, germany: Any, kazakhstan: Any) -> dict[str, Any]:
    road = vocabulary()["road"]
    made: dict[str, Any] = {}
    for number in range(3):
        made[f"fr{number}"] = build_report(
            by=france,
            reference=f"DASH-FR-{number}",
            status=ReportStatus.APPROVED,
            seizure_date=dt.date(2025, 3, 10 + number),
        )
    for number in range(2):
        made[f"de{number}"] = build_report(
            by=germany, reference=f"DASH-DE-{number}", status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 4, 2)
        )
    made["fr_submitted"] = build_report(by=france, reference="DASH-FR-SUBMITTED", status=ReportStatus.SUBMITTED)
    made["kz"] = build_report(by=kazakhstan, reference="DASH-KZ-0", status=ReportStatus.APPROVED)
    assert all(report.transport_mode_id == road.pk for report in made.values())
    statistics_rebuild()
    made["road_label"] = road.localized_label
    return made
