"""Each page and API endpoint makes no more database queries than the committed baseline says.

tests/core/query_counts.json maps "<URL name> <persona>" to the number of queries the view made when the
baseline was written. The walk covers the pages of the isolation and Content-Security-Policy walks (every
page without arguments, a report's pages, a partner's pages) and the API's lists and details, as one
persona of each role. A count above its baseline fails: an N+1 crept in. A count below it is good news:
write the baseline again so that it holds the new figure, and commit it:

    RILO_QUERY_BASELINE=write pytest tests/core/test_query_counts.py

Counts do not depend on what ran before: every process cache of apps/ is emptied before each request,
so each request pays for what it loads, whatever the test order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from apps.accounts.models import User
from apps.core.caches import process_caches_clear
from apps.exchange.models import OutboxEvent
from apps.exchange.services import event_fan_out
from apps.jobs.choices import JobKind
from apps.jobs.services import job_create, job_run
from apps.reports.models import Report
from apps.uploads.tasks import check as check_task
from tests.builders import vocabulary, webhook_partner
from tests.helpers import bearer, sign_in
from tests.reports.views.test_csp_headers import ONE_PER_ROLE, assert_strict_policy, paths_without_arguments
from tests.uploads import engine as uploads

BASELINE = Path(__file__).with_name("query_counts.json")
WRITE = os.environ.get("RILO_QUERY_BASELINE") == "write"
URL = "http://127.0.0.1:9/hooks/rilo"  # nothing listens: the walk sends nothing


def clear_process_caches() -> None:
    """Empty every process cache of apps/ (the registry of :mod:`apps.core.caches`) and Django's content-type
    cache."""
    process_caches_clear()
    ContentType.objects.clear_cache()


def _count(client: Client, path: str) -> tuple[Any, int]:
    clear_process_caches()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response, len(queries)


def _report_pages(report: Report) -> list[str]:
    base = f"/reports/{report.uuid}/"
    return [base, f"{base}edit/", f"{base}correct/", f"{base}history/"]


def _exchange_pages(partner_pk: int, report_uuid: Any) -> list[str]:
    return [
        reverse("exchange:partner_detail", args=[partner_pk]),
        reverse("exchange:partner_edit", args=[partner_pk]),
        reverse("exchange:policy_list", args=[partner_pk]),
        reverse("exchange:policy_edit", args=[partner_pk]),
        reverse("exchange:delivery_list", args=[partner_pk]),
        reverse("exchange:timeline", args=[report_uuid]),
    ]


def _job_pages(job_uuid: Any) -> list[str]:
    return [reverse(name, args=[job_uuid]) for name in ("jobs:detail", "jobs:status", "jobs:file")]


def _upload_pages(upload_uuid: Any) -> list[str]:
    return [reverse(name, args=[upload_uuid]) for name in ("uploads:detail", "uploads:status", "uploads:marked")]


def _walk(
    persona: User, world: dict[str, Report], partner_pk: int, token: str, job_uuid: Any, upload_uuid: Any
) -> Iterator[tuple[Client, str]]:
    """(client, path) for every view of the walk, as ``persona``: pages signed in, the API with a token."""
    client = Client()
    sign_in(client, persona)
    api = Client(HTTP_AUTHORIZATION=bearer(token)["HTTP_AUTHORIZATION"])
    reports = sorted(world.values(), key=lambda report: report.national_reference)
    for path in paths_without_arguments():
        if path.startswith("/api/"):
            yield api, path
        elif not path.startswith("/accounts/logout"):
            yield client, path
    for report in reports:
        for path in _report_pages(report):
            yield client, path
        yield api, f"/api/v1/reports/{report.uuid}/"
    for path in _exchange_pages(partner_pk, world["fr_approved"].uuid):
        yield client, path
    for path in _job_pages(job_uuid):
        yield client, path
    for path in _upload_pages(upload_uuid):
        yield client, path
    for name in ("api:upload-detail", "api:upload-problems"):
        yield api, reverse(name, args=[upload_uuid])


def _key(path: str, persona: str, status: int) -> str:
    return f"{resolve(path).view_name} {persona} {status}"


@pytest.fixture
def partner_pk(world: dict[str, Report]) -> int:
    """A partner of RILO Western Europe with a delivery of the approved French report."""
    vocabulary()
    partner, _, _ = webhook_partner("WE partner", URL)
    approved = world["fr_approved"]
    event_fan_out(event_id=OutboxEvent.objects.filter(report_uuid=approved.uuid).latest("pk").pk)
    return partner.pk


@pytest.fixture
def job_uuid(world: dict[str, Report], alice: User, settings: Any, tmp_path: Path) -> Any:
    """A finished export job of alice's (the others' walk finds it absent)."""
    settings.RILO_JOBS_ROOT = tmp_path / "jobs"
    parameters = {"list": "reports", "format": "csv", "filters": {}, "language": "en"}
    job = job_create(kind=JobKind.REPORT_EXPORT, parameters=parameters, actor=alice)
    job_run(job_id=job.pk)
    return job.uuid


def checked_upload(alice: User) -> Any:
    """A checked upload of alice's, with errors at their cells and a preview, checked by the worker's task (here,
    in this process): its problems are written in alice's language."""
    vocabulary()
    rows = [uploads.csv_row(f"FR-QC-{n}", unit="kgs" if n % 2 else "STK") for n in range(6)]
    upload = uploads.send(alice, uploads.csv_bytes(*rows))
    check_task(upload.pk)
    return upload.uuid


@pytest.fixture
def upload_uuid(world: dict[str, Report], alice: User, settings: Any, tmp_path: Path) -> Any:
    """A checked upload of alice's (the others' walk finds it absent)."""
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    return checked_upload(alice)


def test_no_view_makes_more_queries_than_its_baseline(
    request: pytest.FixtureRequest,
    world: dict[str, Report],
    partner_pk: int,
    issue_token: Callable[..., str],
    job_uuid: Any,
    upload_uuid: Any,
) -> None:
    counts: dict[str, int] = {}
    for name in ONE_PER_ROLE:
        persona = request.getfixturevalue(name)
        token = issue_token(persona, "read")
        for client, path in _walk(persona, world, partner_pk, token, job_uuid, upload_uuid):
            response, queries = _count(client, path)
            assert_strict_policy(response, f"{name} {path}")
            key = _key(path, name, response.status_code)
            # One view walked for several objects (a report page for each report): its highest count.
            counts[key] = max(queries, counts.get(key, 0))
    if WRITE:
        BASELINE.write_text(json.dumps(dict(sorted(counts.items())), indent=1) + "\n")
    baseline: dict[str, int] = json.loads(BASELINE.read_text())
    risen = {key: (baseline[key], count) for key, count in counts.items() if key in baseline and count > baseline[key]}
    assert not risen, f"queries rose (baseline, now): {risen}"
    unknown = sorted(counts.keys() - baseline.keys())
    assert not unknown, f"views without a baseline (write it: RILO_QUERY_BASELINE=write pytest {__file__}): {unknown}"
    walked_pages = sum(1 for key in counts if " 200" in key)
    assert walked_pages > 50, walked_pages  # the walk reached real pages, not only refusals


def test_the_baseline_is_sorted_and_positive() -> None:
    baseline = json.loads(BASELINE.read_text())
    assert list(baseline) == sorted(baseline)
    assert all(isinstance(count, int) and count >= 0 for count in baseline.values())
