"""Another tenant's report uuid answers as a uuid that names no report, wherever a uuid is given: never a 409 (or any
other answer) that would tell the report exists. (Inbound pushes: tests/exchange/api/test_inbound.py.)"""

from __future__ import annotations

import uuid

from django.test import Client

from apps.reports.models import Report
from tests.builders import report_body
from tests.helpers import bearer, sign_in

URL = "/api/v1/reports/"


def _without_request_id(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "request_id"}


def test_pushing_a_report_with_another_tenants_uuid_answers_as_a_uuid_of_no_report_the_caller_may_see(
    api, world, alice, issue_token
):
    auth = bearer(issue_token(alice, "read", "write"))
    for name in ("de_draft", "de_submitted", "kz_submitted"):
        taken = world[name]
        response = api.post(URL, report_body(f"FR-TAKE-{name}", uuid=str(taken.uuid)), format="json", **auth)
        made_up = api.get(f"{URL}{uuid.uuid4()}/", **auth)
        assert response.status_code == 404, (name, response.json())
        assert _without_request_id(response.json()) == _without_request_id(made_up.json())
        assert taken.national_reference not in response.content.decode()
    assert not Report.objects.filter(national_reference__startswith="FR-TAKE-").exists()


def test_marking_a_duplicate_of_another_tenants_report_answers_as_for_a_made_up_uuid(api, world, erin, issue_token):
    auth = bearer(issue_token(erin, "read", "review"))
    path = f"{URL}{world['fr_submitted'].uuid}/mark-duplicate/"
    foreign = api.post(path, {"of": str(world["kz_submitted"].uuid)}, format="json", **auth)
    made_up = api.post(path, {"of": str(uuid.uuid4())}, format="json", **auth)
    assert foreign.status_code == made_up.status_code == 400
    assert _without_request_id(foreign.json()) == _without_request_id(made_up.json())
    assert Report.objects.get(pk=world["fr_submitted"].pk).duplicate_of_id is None


def test_marking_a_duplicate_of_another_tenants_report_on_the_web_answers_as_for_a_made_up_uuid(world, erin):
    client = Client()
    sign_in(client, erin)
    path = f"/reports/{world['fr_submitted'].uuid}/mark-duplicate/"
    foreign = client.post(path, {"of": str(world["kz_submitted"].uuid)})
    made_up = client.post(path, {"of": str(uuid.uuid4())})
    assert foreign.status_code == made_up.status_code == 400
    assert "No report with this UUID that you can see." in foreign.content.decode()
    assert "ISO-KZ-SUBMITTED" not in foreign.content.decode()
    assert Report.objects.get(pk=world["fr_submitted"].pk).duplicate_of_id is None
