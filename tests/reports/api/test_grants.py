"""Grants that end, through the API: an expired share reads as nothing, an assigned reviewer's rights end with the
review (the approval answers 204, then the report is not found)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from apps.reports.models import ReportGroupObjectPermission, ReportUserObjectPermission
from apps.reports.services import report_assign_reviewer, report_share_with_administration
from tests.helpers import bearer

URL = "/api/v1/reports/"


def test_an_expired_share_grants_nothing_in_the_api(api, world, bob, erin, issue_token, france):
    french = world["fr_submitted"]
    report_share_with_administration(
        report=french,
        administration=bob.administration,
        actor=erin,
        include_personal_data=True,
        expires_at=timezone.now() + dt.timedelta(days=2),
    )
    auth = bearer(issue_token(bob, "read"))
    assert api.get(f"{URL}{french.uuid}/", **auth).status_code == 200
    assert str(french.uuid) in {row["uuid"] for row in api.get(URL, **auth).json()["results"]}

    ReportGroupObjectPermission.objects.filter(content_object=french).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    response = api.get(f"{URL}{french.uuid}/", **auth)
    assert response.status_code == 404 and response.json()["type"] == "not_found"
    assert str(french.uuid) not in {row["uuid"] for row in api.get(URL, **auth).json()["results"]}
    write = bearer(issue_token(bob, "read", "write"))
    assert api.post(f"{URL}{french.uuid}/submit/", **write).status_code == 404


def test_an_assigned_reviewer_approving_through_the_api_is_answered_204_and_then_sees_nothing(
    api, world, erin, farid, issue_token
):
    german = world["de_submitted"]
    report_assign_reviewer(report=german, reviewer=farid, actor=erin)
    auth = bearer(issue_token(farid, "read", "review"))
    assert api.get(f"{URL}{german.uuid}/", **auth).status_code == 200

    response = api.post(f"{URL}{german.uuid}/approve/", {"comment": "Fine"}, format="json", **auth)

    assert response.status_code == 204, response.content
    german.refresh_from_db()
    assert german.status == "approved"  # the approval stands: the rights ended, the work was kept
    assert not ReportUserObjectPermission.objects.filter(user=farid).exists()
    assert api.get(f"{URL}{german.uuid}/", **auth).status_code == 404
    assert str(german.uuid) not in {row["uuid"] for row in api.get(URL, **auth).json()["results"]}
