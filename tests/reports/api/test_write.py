"""Pushing, editing and submitting reports through the API: the same services and rules as the web form."""

from __future__ import annotations

import uuid

import pytest

from apps.audit.models import AuditEvent
from apps.reports.choices import ReportStatus
from apps.reports.models import Party, Report
from tests.builders import PARTY, build_report, complete_report, report_body
from tests.helpers import bearer

URL = "/api/v1/reports/"


@pytest.fixture
def alice_auth(alice, issue_token) -> dict[str, str]:
    return bearer(issue_token(alice, "read", "write"))


@pytest.fixture
def nsys_auth(nsys, issue_token) -> dict[str, str]:
    return bearer(issue_token(nsys, "read", "write"))


def test_an_officer_pushes_a_report_with_its_parts_and_gets_it_back(api, alice, alice_auth):
    response = api.post(URL, report_body("FR-API-1"), format="json", **alice_auth)
    assert response.status_code == 201, response.json()
    body = response.json()
    report = Report.objects.get(uuid=body["uuid"])
    assert response["Location"].endswith(f"{URL}{report.uuid}/")
    assert (report.administration_id, report.created_by_id, report.status) == (
        alice.administration_id,
        alice.pk,
        "draft",
    )
    assert body["administration"] == {"code": "fr", "name": "French Customs", "country": "FR"}
    assert body["items"][0]["commodity_type"] == "cocaine" and body["items"][0]["quantity"] == "120.500"
    assert [step["country"] for step in body["route"]] == ["CO", "PA", "FR"]
    assert body["conveyances"][0]["identifier"] == "MSCU1234565"
    assert body["parties"][0]["family_name"] == "Dupont" and body["parties"][0]["age_band"] == "45-54"
    assert body["personal_data"] is True and body["modus_operandi"].startswith("Courier")


def test_vocabulary_terms_are_accepted_as_english_labels_in_any_case(api, alice_auth):
    body = report_body("FR-API-LABELS", transport_mode="maritime TRANSPORT", detection_methods=["X-RAY"])
    body["items"] = [{**body["items"][0], "unit": "Kilogram"}]
    response = api.post(URL, body, format="json", **alice_auth)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["transport_mode"], data["detection_methods"]) == ("1", ["xray"])
    assert data["items"][0]["unit"] == "KGM"


def test_an_unknown_code_is_refused_naming_the_field_and_nothing_is_written(api, alice_auth):
    body = report_body("FR-API-BAD", direction="sideways")
    body["items"] = [{**body["items"][0], "unit": "furlong"}]
    response = api.post(URL, body, format="json", **alice_auth)
    assert response.status_code == 400
    details = response.json()["details"]
    assert details["direction"] == ["Unknown code: 'sideways'."]
    assert details["items[0].unit"] == ["Unknown code: 'furlong'."]
    assert not Report.objects.filter(national_reference="FR-API-BAD").exists()


def test_a_malformed_part_is_refused_naming_the_row_and_the_field(api, alice_auth):
    body = report_body("FR-API-SHAPE")
    body["route"] = [{"role": "origin", "country": "CO"}, {"role": "nowhere", "country": "FR"}]
    response = api.post(URL, body, format="json", **alice_auth)
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["route[1].role"]


def test_an_administration_sent_in_the_body_is_ignored(api, alice, alice_auth, germany):
    body = report_body("FR-API-SMUGGLED", administration=germany.pk, administration_id=germany.pk, status="approved")
    response = api.post(URL, body, format="json", **alice_auth)
    assert response.status_code == 201
    report = Report.objects.get(national_reference="FR-API-SMUGGLED")
    assert (report.administration_id, report.status) == (alice.administration_id, "draft")


def test_a_national_system_pushing_the_same_uuid_twice_updates_the_first_report(api, nsys, nsys_auth):
    identity = str(uuid.uuid4())
    first = api.post(URL, report_body("FR-NCEN-7", uuid=identity), format="json", **nsys_auth)
    assert first.status_code == 201, first.json()
    second = api.post(URL, report_body("FR-NCEN-7", uuid=identity, place="Rouen"), format="json", **nsys_auth)
    assert second.status_code == 200, second.json()
    report = Report.objects.get(uuid=identity)
    assert Report.objects.filter(administration=nsys.administration).count() == 1
    assert (report.place, report.administration_id, report.created_by_id) == ("Rouen", nsys.administration_id, nsys.pk)
    assert second.json()["uuid"] == identity


def test_a_report_pushed_again_with_the_same_national_reference_updates_the_first(api, nsys_auth):
    first = api.post(URL, report_body("FR-NCEN-8"), format="json", **nsys_auth)
    second = api.post(URL, report_body("FR-NCEN-8", customs_office="Rouen port"), format="json", **nsys_auth)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["uuid"] == first.json()["uuid"]
    assert Report.objects.get(national_reference="FR-NCEN-8").customs_office == "Rouen port"


def test_a_report_under_review_pushed_again_is_a_conflict_and_stays_as_it_was(api, alice, nsys_auth):
    report = build_report(
        by=alice, reference="FR-NCEN-9", status=ReportStatus.SUBMITTED, through_services=True, **complete_report()
    )
    response = api.post(URL, report_body("FR-NCEN-9", place="Elsewhere"), format="json", **nsys_auth)
    assert response.status_code == 409
    assert response.json()["type"] == "conflict"
    report.refresh_from_db()
    assert (report.place, report.status) == ("Le Havre", "submitted")


def test_a_uuid_of_another_administrations_report_cannot_be_taken_and_answers_not_found(api, bob, nsys_auth):
    german = build_report(
        by=bob, reference="DE-1", status=ReportStatus.DRAFT, through_services=True, **complete_report()
    )
    response = api.post(URL, report_body("FR-NCEN-10", uuid=str(german.uuid)), format="json", **nsys_auth)
    assert response.status_code == 404  # never 409: whether another tenant holds a uuid is not to be learnt
    missing = api.get(f"{URL}{uuid.uuid4()}/", **nsys_auth)
    assert response.json() == missing.json()
    german.refresh_from_db()
    assert german.administration_id == bob.administration_id and german.national_reference == "DE-1"
    assert not Report.objects.filter(national_reference="FR-NCEN-10").exists()


def test_an_idempotent_push_is_replayed_not_repeated(api, nsys_auth):
    headers = {**nsys_auth, "HTTP_IDEMPOTENCY_KEY": "push-1"}
    first = api.post(URL, report_body("FR-NCEN-11"), format="json", **headers)
    retry = api.post(URL, report_body("FR-NCEN-11"), format="json", **headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry["Idempotent-Replayed"] == "true" and retry.json() == first.json()
    other = api.post(URL, report_body("FR-NCEN-12"), format="json", **headers)
    assert other.status_code == 422
    assert Report.objects.filter(national_reference__startswith="FR-NCEN-1").count() == 1


def test_put_replaces_a_draft_emptying_what_is_left_out_but_keeping_parts_left_out(api, alice, alice_auth):
    report = build_report(
        by=alice, reference="FR-PUT-1", status=ReportStatus.DRAFT, through_services=True, **complete_report()
    )
    body = {"national_reference": "FR-PUT-1", "seizure_date": "2025-01-02", "country_of_seizure": "fr", "items": []}
    response = api.put(f"{URL}{report.uuid}/", body, format="json", **alice_auth)
    assert response.status_code == 200, response.json()
    report.refresh_from_db()
    assert (report.place, report.transport_mode_id, report.items.count()) == ("", None, 0)
    assert report.route.count() == 3 and report.parties.count() == 1  # parts left out stay
    assert report.modus_operandi.startswith("Courier")  # personal, left out: stays


def test_patch_changes_only_what_is_given(api, alice, alice_auth):
    report = build_report(
        by=alice, reference="FR-PATCH-1", status=ReportStatus.DRAFT, through_services=True, **complete_report()
    )
    response = api.patch(f"{URL}{report.uuid}/", {"place": "Rouen", "parties": []}, format="json", **alice_auth)
    assert response.status_code == 200, response.json()
    report.refresh_from_db()
    assert (report.place, report.customs_office, report.parties.count()) == ("Rouen", "Le Havre port", 0)


def test_an_edit_with_one_bad_row_changes_nothing(api, alice, alice_auth):
    report = build_report(
        by=alice, reference="FR-ATOMIC-1", status=ReportStatus.DRAFT, through_services=True, **complete_report()
    )
    body = {"place": "Rouen", "items": [{"commodity_type": "cocaine", "quantity": "-1"}]}
    response = api.patch(f"{URL}{report.uuid}/", body, format="json", **alice_auth)
    assert response.status_code == 400
    assert "items[0].quantity" in response.json()["details"]
    report.refresh_from_db()
    assert (report.place, report.items.count()) == ("Le Havre", 1)


def test_a_submitted_report_cannot_be_edited(api, alice, alice_auth):
    report = build_report(
        by=alice,
        reference="FR-EDIT-SUBMITTED",
        status=ReportStatus.SUBMITTED,
        through_services=True,
        **complete_report(),
    )
    response = api.patch(f"{URL}{report.uuid}/", {"place": "Rouen"}, format="json", **alice_auth)
    assert response.status_code == 409
    report.refresh_from_db()
    assert report.place == "Le Havre"


def test_submitting_an_incomplete_report_names_what_is_missing(api, alice, alice_auth):
    report = build_report(
        by=alice, reference="FR-SUBMIT-1", status=ReportStatus.DRAFT, through_services=True, **complete_report(place="")
    )
    Report.objects.filter(pk=report.pk).update(transport_mode=None)
    response = api.post(f"{URL}{report.uuid}/submit/", **alice_auth)
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"place", "transport_mode"}
    report.refresh_from_db()
    assert report.status == "draft"


def test_a_draft_submitted_then_returned_is_submitted_again(api, alice, erin, alice_auth):
    report = build_report(
        by=alice, reference="FR-SUBMIT-2", status=ReportStatus.DRAFT, through_services=True, **complete_report()
    )
    assert api.post(f"{URL}{report.uuid}/submit/", **alice_auth).json()["status"] == "submitted"
    assert api.post(f"{URL}{report.uuid}/submit/", **alice_auth).status_code == 409
    from apps.reports.services import report_return

    report_return(report=report, actor=erin, comment="Weigh again")
    response = api.post(f"{URL}{report.uuid}/submit/", **alice_auth)
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    assert [e.transition for e in report.review_events.order_by("at", "pk")][-1] == "resubmit"


def test_a_body_over_one_megabyte_is_refused_and_nothing_is_written(api, alice_auth):
    body = report_body("FR-HUGE", modus_operandi="x" * (1024 * 1024))
    response = api.post(URL, body, format="json", **alice_auth)
    assert response.status_code == 413
    assert response.json()["type"] == "request_too_large"
    assert not Report.objects.filter(national_reference="FR-HUGE").exists()


def test_parties_need_the_personal_data_right_even_to_be_replaced(api, world, erin, issue_token):
    # erin (analyst) may see parties of submitted reports but never edit reports: 403 before any party is read.
    report = world["fr_draft"]
    response = api.patch(
        f"{URL}{report.uuid}/", {"parties": [PARTY]}, format="json", **bearer(issue_token(erin, "read", "write"))
    )
    assert response.status_code == 403
    assert Party.objects.filter(report=report).count() == 1
    assert not AuditEvent.objects.filter(action="report.update").exists()


def test_attributes_the_commodity_type_does_not_define_are_refused_naming_the_field(api, alice_auth):
    body = report_body("FR-API-ATTR")
    body["items"] = [{**body["items"][0], "attributes": {"purity_percent": 80, "buyer": "Jean Dupont"}}]
    response = api.post(URL, body, format="json", **alice_auth)
    assert response.status_code == 400
    assert response.json()["details"] == {"items[0].attributes": ["buyer: Unknown attribute."]}
    body["items"] = [{**body["items"][0], "commodity_type": "", "attributes": {"purity_percent": 80}}]
    response = api.post(URL, body, format="json", **alice_auth)
    assert response.status_code == 400
    assert response.json()["details"]["items[0].attributes"] == [
        "Choose the commodity type: attributes are recorded only for a type that defines them."
    ]
    assert not Report.objects.filter(national_reference="FR-API-ATTR").exists()


def test_an_operation_the_officer_may_not_attach_is_refused_naming_the_field(api, alice_auth, region_we, region_cis):
    from apps.reports.models import Operation

    Operation.objects.create(code="steppe", name="Operation Steppe", region=region_cis)
    ocean = Operation.objects.create(code="ocean", name="Operation Ocean", region=region_we)
    response = api.post(URL, report_body("FR-API-STEPPE", operation="steppe"), format="json", **alice_auth)
    assert response.status_code == 400, response.json()
    assert list(response.json()["details"]) == ["operation"]
    assert "steppe" in response.json()["details"]["operation"][0]
    assert not Report.objects.filter(national_reference="FR-API-STEPPE").exists()

    response = api.post(URL, report_body("FR-API-OCEAN", operation="ocean"), format="json", **alice_auth)
    assert response.status_code == 201, response.json()
    assert Report.objects.get(national_reference="FR-API-OCEAN").operation == ocean
