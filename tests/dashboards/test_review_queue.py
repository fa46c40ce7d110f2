"""The review queue's live figures: how many submitted reports wait, the median and the longest wait, per the
administrations the reader may count (duplicates and other states are not waiting)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from apps.dashboards.services import statistics_cache_invalidate
from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from tests.builders import build_report
from tests.helpers import bearer


def _waiting(by: Any, days_ago: float) -> Report:
    report = build_report(by=by, status=ReportStatus.SUBMITTED, seizure_date=dt.date(2025, 5, 1))
    Report.objects.filter(pk=report.pk).update(submitted_at=timezone.now() - dt.timedelta(days=days_ago))
    return report


def _figures(api: Any, token: str, **params: Any) -> dict[str, Any]:
    statistics_cache_invalidate()  # panels are cached for a minute; each read here is after a change
    answer = api.get("/api/v1/statistics/review_queue/", params, **bearer(token)).json()
    return {row["figure"]: row["value"] for row in answer["rows"]}


def test_the_queue_counts_its_waiting_reports_with_their_median_and_longest_wait(
    api, issue_token, france, germany, kazakhstan, erin
):
    token = issue_token(erin)
    assert _figures(api, token) == {"waiting": 0, "median_age": None, "oldest_age": None}
    for days in (1, 3, 10):
        _waiting(france, days)
    _waiting(kazakhstan, 100)  # another region's
    build_report(by=france, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 5, 1))
    original = build_report(by=germany, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 5, 1))
    Report.objects.filter(pk=_waiting(germany, 50).pk).update(duplicate_of=original)  # a duplicate waits for no one
    assert _figures(api, token) == {"waiting": 3, "median_age": 3.0, "oldest_age": 10.0}
    _waiting(germany, 5)  # an even count: the median is halfway between the middle two (3 and 5 days)
    assert _figures(api, token) == {"waiting": 4, "median_age": 4.0, "oldest_age": 10.0}
    assert _figures(api, token, administration=germany.pk) == {"waiting": 1, "median_age": 5.0, "oldest_age": 5.0}


def test_an_officer_sees_the_queue_of_their_own_administration_only(api, issue_token, france, germany, alice):
    """Another administration's submitted reports are its own and the region's RILO staff's: an officer of France
    learns nothing of Germany's queue (not even by naming Germany)."""
    token = issue_token(alice)
    _waiting(france, 2)
    for days in (7, 9):
        _waiting(germany, days)
    assert _figures(api, token) == {"waiting": 1, "median_age": 2.0, "oldest_age": 2.0}
    assert _figures(api, token, administration=germany.pk) == {"waiting": 0, "median_age": None, "oldest_age": None}


def test_the_filters_the_queue_does_not_apply_share_one_answer_the_administration_still_applies(
    api, issue_token, france, germany, erin
):
    """The queue applies the administration filter only: any other filter gives the same answer, computed once and
    cached for every view (a report submitted since is not counted until the cache is stale), with no note of the
    filters it ignores; naming an administration is another answer."""
    token = issue_token(erin)
    _waiting(france, 2)
    url = "/api/v1/statistics/review_queue/"
    statistics_cache_invalidate()
    first = api.get(url, {"country": "CO", "country_role": "departure", "date_from": "2025-01-01"}, **bearer(token))
    for days in (4, 6):
        _waiting(germany, days)  # after the first answer was cached
    second = api.get(url, {"category": "drugs"}, **bearer(token)).json()
    assert second == first.json() and {row["figure"]: row["value"] for row in second["rows"]}["waiting"] == 1
    assert second["source"] == "summary" and not any("reports themselves" in note for note in second["notes"])
    named = api.get(url, {"administration": germany.pk}, **bearer(token)).json()
    assert {row["figure"]: row["value"] for row in named["rows"]}["waiting"] == 2  # Germany's own, computed anew
