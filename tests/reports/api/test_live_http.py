"""The reports API over real HTTP, as a national system and a RILO analyst use it: a live server and `requests`."""

from __future__ import annotations

import uuid

import pytest
import requests

from apps.reports.models import Report
from tests.builders import report_body
from tests.helpers import bearer

TIMEOUT = 10


@pytest.mark.slow
def test_a_national_system_pushes_and_submits_a_report_that_an_analyst_approves(
    live_server, transactional_db, nsys, erin, issue_token
):
    base = f"{live_server.url}/api/v1/reports"
    system = requests.Session()
    system.headers["Authorization"] = bearer(issue_token(nsys, "read", "write"))["HTTP_AUTHORIZATION"]
    analyst = requests.Session()
    analyst.headers["Authorization"] = bearer(issue_token(erin, "read", "review"))["HTTP_AUTHORIZATION"]
    identity = str(uuid.uuid4())

    # The national system pushes its case (twice: a retry after a lost answer is the same report).
    body = report_body("FR-NCEN-2025-42", uuid=identity)
    pushed = system.post(f"{base}/", json=body, headers={"Idempotency-Key": "ncen-42-v1"}, timeout=TIMEOUT)
    assert pushed.status_code == 201 and pushed.headers["Content-Type"] == "application/json"
    assert pushed.headers["Location"] == f"{base}/{identity}/"
    retried = system.post(f"{base}/", json=body, headers={"Idempotency-Key": "ncen-42-v1"}, timeout=TIMEOUT)
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    pushed_again = system.post(f"{base}/", json={**body, "place": "Le Havre, quay 4"}, timeout=TIMEOUT)
    assert pushed_again.status_code == 200 and pushed_again.json()["uuid"] == identity
    assert Report.objects.filter(uuid=identity).count() == 1

    # Not yet visible to the region's analyst: a draft.
    assert analyst.get(f"{base}/{identity}/", timeout=TIMEOUT).status_code == 404

    submitted = system.post(f"{base}/{identity}/submit/", timeout=TIMEOUT)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"

    # The analyst finds it in the review list, reads it (with its ETag), and approves it.
    queue = analyst.get(f"{base}/", params={"status": "submitted", "ordering": "submitted_at"}, timeout=TIMEOUT)
    assert [row["uuid"] for row in queue.json()["results"]] == [identity]
    page = analyst.get(f"{base}/{identity}/", timeout=TIMEOUT)
    assert page.json()["place"] == "Le Havre, quay 4" and page.json()["parties"][0]["family_name"] == "Dupont"
    unchanged = analyst.get(f"{base}/{identity}/", headers={"If-None-Match": page.headers["ETag"]}, timeout=TIMEOUT)
    assert unchanged.status_code == 304
    approved = analyst.post(f"{base}/{identity}/approve/", json={"comment": "Good case"}, timeout=TIMEOUT)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    # The system can no longer change it, and the analyst's second approval is a conflict.
    late = system.patch(f"{base}/{identity}/", json={"place": "Elsewhere"}, timeout=TIMEOUT)
    assert late.status_code == 409 and late.json()["type"] == "conflict"
    again = analyst.post(f"{base}/{identity}/approve/", json={}, timeout=TIMEOUT)
    assert again.status_code == 409
    read_back = system.get(f"{base}/{identity}/", timeout=TIMEOUT).json()
    assert (read_back["status"], read_back["place"]) == ("approved", "Le Havre, quay 4")
