"""The report page's "Joint operation sharing" and "Reviewer" sections, and the actions behind them.

A report shared read-only with another administration can be read by its users (its personal data
only if the share includes it, each reading audited), never changed; ending the share hides it again.
An assigned reviewer from another region may review that one report. Whatever is posted, a report the
user may not share or assign is not found.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.reports.choices import ReportStatus, Transition
from apps.reports.models import Report, ReportGroupObjectPermission, ReviewEvent
from apps.reports.services import report_create_draft, report_send_for_review, report_share_with_administration
from apps.tenancy.models import Administration
from tests.builders import ROUTE, complete_fields, item_row
from tests.factories import AdministrationFactory, UserFactory
from tests.helpers import sign_in


def french_report(alice: User, reference: str = "FR-2025-0001") -> Report:
    """A complete French report, submitted for review, with one person among its parties."""
    draft = report_create_draft(
        actor=alice,
        fields=complete_fields(national_reference=reference),
        items=[item_row()],
        route=ROUTE,
        conveyances=[{"identifier_type": "container", "identifier": "mscu 123456-5", "flag_country": "PA"}],
        parties=[{"kind": "person", "family_name": "Dupont", "given_names": "Jean", "nationality": "FR"}],
    )
    return report_send_for_review(report=draft, actor=alice)


@pytest.fixture
def submitted(alice: User) -> Report:
    return french_report(alice)


def url(report: Report, suffix: str = "") -> str:
    return f"/reports/{report.uuid}/{suffix}"


def options(page: str, name: str) -> set[str]:
    """The labels of a select's options (the empty choice left out)."""
    select = re.search(rf'<select name="{re.escape(name)}".*?</select>', page, re.S)
    assert select is not None, f"no select {name}"
    return {label.strip() for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)', select[0]) if value}


def share(client: Client, report: Report, administration: Administration, *, personal: bool = False, **extra: str):
    data = {"share-administration": str(administration.pk), "share-comment": "Operation Ocean", **extra}
    if personal:
        data["share-include_personal_data"] = "on"
    return client.post(url(report, "shares/"), data)


def test_a_coordinator_sees_the_sharing_section_and_an_officer_does_not(client, alice, cora, submitted):
    sign_in(client, cora)
    page = client.get(url(submitted)).content.decode()
    assert ">Joint operation sharing</h2>" in page
    assert f'action="/reports/{submitted.uuid}/shares/"' in page
    assert "Not shared with any other administration." in page

    sign_in(client, alice)  # officers hold no reports.share_report (apps/accounts/roles.py)
    page = client.get(url(submitted)).content.decode()
    assert "Joint operation sharing" not in page
    assert "/shares/" not in page
    assert ">Reviewer</h2>" not in page


def test_the_choice_is_every_active_administration_of_any_region_but_the_reports_own(
    client, cora, submitted, germany, kazakhstan, region_we
):
    AdministrationFactory.create(region=region_we, country="BE", name="Belgian Customs", code="be", active=False)
    sign_in(client, cora)
    page = client.get(url(submitted)).content.decode()
    assert options(page, "share-administration") == {
        "German Customs (DE) — RILO Western Europe",
        "Kazakh Customs (KZ) — RILO CIS",
    }


def test_a_share_without_personal_data_lets_the_other_administration_read_only(
    client, cora, bob, submitted, germany, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    sign_in(client, cora)
    response = share(client, submitted, germany)
    assert response.status_code == 302
    assert response["Location"] == url(submitted) + "#sharing"
    page = client.get(response["Location"]).content.decode()
    assert "shared read-only with German Customs, without personal data." in page
    assert re.search(r"<td>German Customs \(DE\)</td>\s*<td>Not included</td>\s*<td>Cora</td>", page)

    sign_in(client, bob)
    page = client.get(url(submitted)).content.decode()
    assert "FR-2025-0001" in page
    assert "You may not see the persons and companies of this report." in page
    assert "Dupont" not in page and "Jean Dupont" not in page
    assert "Joint operation sharing" not in page and "/edit/" not in page and "/submit/" not in page
    assert not AuditEvent.objects.filter(actor=bob, action="report.parties_read").exists()

    before = Report.objects.values("status", "version", "place").get(pk=submitted.pk)
    for suffix, data in (
        ("edit/", {"place": "HIJACKED"}),
        ("autosave/", {"place": "HIJACKED"}),
        ("submit/", {}),
        ("return/", {"comment": "no"}),
        ("approve/", {}),
        ("withdraw/", {"reason": "no"}),
        ("attachments/", {"file": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32)}),
    ):
        # refused: not found, forbidden, or back to the report with the reason
        assert client.post(url(submitted, suffix), data).status_code in (302, 403, 404), suffix
    assert Report.objects.values("status", "version", "place").get(pk=submitted.pk) == before
    assert not submitted.attachments.exists()
    assert not ReviewEvent.objects.filter(report=submitted, actor=bob).exists()
    # ... nor may bob pass the report on
    assert share(client, submitted, Administration.objects.get(code="de")).status_code == 404


def test_a_share_with_personal_data_shows_the_parties_and_the_reading_is_audited(client, cora, bob, submitted, germany):
    sign_in(client, cora)
    response = share(client, submitted, germany, personal=True)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "shared read-only with German Customs, with personal data." in page
    assert re.search(r"<td>German Customs \(DE\)</td>\s*<td>Included</td>\s*<td>Cora</td>", page), page

    sign_in(client, bob)
    page = client.get(url(submitted)).content.decode()
    assert "Dupont, Jean" in page
    read = AuditEvent.objects.get(actor=bob, action="report.parties_read")
    assert read.object_uuid == submitted.uuid


def test_sharing_again_without_personal_data_takes_it_back(client, cora, bob, submitted, germany):
    sign_in(client, cora)
    share(client, submitted, germany, personal=True)
    share(client, submitted, germany)
    sign_in(client, bob)
    page = client.get(url(submitted)).content.decode()
    assert "Dupont" not in page


def test_ending_the_share_makes_the_report_not_found_again(client, cora, bob, submitted, germany):
    report_share_with_administration(report=submitted, administration=germany, actor=cora)
    sign_in(client, cora)
    page = client.get(url(submitted)).content.decode()
    end = f'action="/reports/{submitted.uuid}/shares/{germany.pk}/end/"'
    assert end in page and "End sharing" in page

    response = client.post(url(submitted, f"shares/{germany.pk}/end/"))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "is no longer shared with German Customs." in page
    assert end not in page
    assert not ReportGroupObjectPermission.objects.filter(content_object=submitted).exists()
    assert AuditEvent.objects.filter(actor=cora, action="report.unshare", object_uuid=submitted.uuid).exists()

    sign_in(client, bob)
    assert client.get(url(submitted)).status_code == 404


def test_sharing_needs_a_post(client, cora, submitted, germany):
    sign_in(client, cora)
    assert client.get(url(submitted, "shares/")).status_code == 405
    assert client.get(url(submitted, f"shares/{germany.pk}/end/")).status_code == 405
    assert client.get(url(submitted, "reviewers/")).status_code == 405


def test_sharing_is_protected_against_cross_site_requests(cora, submitted, germany):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, cora)
    assert share(client, submitted, germany).status_code == 403
    assert not ReportGroupObjectPermission.objects.filter(content_object=submitted).exists()


def test_an_administration_smuggled_for_a_report_the_actor_cannot_share_is_not_found(
    client, alice, cora, bob, submitted, germany, kazakhstan
):
    sign_in(client, alice)  # sees the report, may not share it
    assert share(client, submitted, kazakhstan).status_code == 404
    assert client.post(url(submitted, f"shares/{germany.pk}/end/")).status_code == 404

    report_share_with_administration(report=submitted, administration=germany, actor=cora)
    sign_in(client, bob)  # reads it through the share, may not pass it on nor end it
    assert share(client, submitted, kazakhstan).status_code == 404
    assert client.post(url(submitted, f"shares/{germany.pk}/end/")).status_code == 404

    sign_in(client, cora)  # may share, but the report is not shared with Kazakhstan: nothing to end
    assert client.post(url(submitted, f"shares/{kazakhstan.pk}/end/")).status_code == 404
    assert set(ReportGroupObjectPermission.objects.values_list("group__name", flat=True)) == {
        f"administration:{germany.pk}"
    }


def test_the_reports_own_administration_is_refused_beside_the_field_and_nothing_typed_is_lost(
    client, cora, submitted, france
):
    sign_in(client, cora)
    response = share(client, submitted, france, personal=True, **{"share-comment": "Operation Ocean, phase 2"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert '<a href="#id_share-administration">Administration: Choose one of the administrations listed.' in page
    assert re.search(r'id="field-share-administration">.*?Choose one of the administrations listed', page, re.S)
    assert "Operation Ocean, phase 2</textarea>" in page
    assert re.search(r'<input type="checkbox" name="share-include_personal_data"[^>]*checked', page)
    assert not ReportGroupObjectPermission.objects.filter(content_object=submitted).exists()


def test_a_missing_administration_is_explained_and_the_comment_kept(client, erin, submitted):
    sign_in(client, erin)
    response = client.post(url(submitted, "shares/"), {"share-comment": "Operation Ocean"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose the administration to share the report with." in page
    assert "Operation Ocean</textarea>" in page


def test_a_draft_cannot_be_shared(client, alice, cora, germany):
    draft = report_create_draft(actor=alice, fields=complete_fields(national_reference="FR-DRAFT"))
    sign_in(client, cora)
    assert "Joint operation sharing" not in client.get(url(draft)).content.decode()
    assert share(client, draft, germany).status_code == 404


def test_the_reviewer_choice_lists_the_rilo_analysts_of_every_region(client, erin, farid, grace, hugo, bob, submitted):
    sign_in(client, erin)
    page = client.get(url(submitted)).content.decode()
    assert ">Reviewer</h2>" in page
    assert "No reviewer assigned" in page
    labels = options(page, "reviewer-reviewer")
    assert len(labels) == 1
    assert labels.pop().endswith("(farid) — RILO CIS")


def test_an_analyst_assigns_an_analyst_of_another_region_who_then_reviews_that_report_only(
    client, alice, erin, farid, submitted
):
    other = french_report(alice, reference="FR-2025-0002")
    sign_in(client, farid)
    assert client.get(url(submitted)).status_code == 404

    sign_in(client, erin)
    response = client.post(url(submitted, "reviewers/"), {"reviewer-reviewer": str(farid.pk)})
    assert response.status_code == 302
    assert response["Location"] == url(submitted) + "#reviewer"
    page = client.get(response["Location"]).content.decode()
    assert "may now review report FR-2025-0001." in page
    assert re.search(r"Assigned to review this report:</p>\s*<ul>\s*<li>.*\(farid\) — RILO CIS", page)
    assert ReviewEvent.objects.filter(report=submitted, transition=Transition.ASSIGN, actor=erin).exists()

    sign_in(client, farid)
    page = client.get(url(submitted)).content.decode()
    assert f'action="/reports/{submitted.uuid}/approve/"' in page
    assert client.get(url(other)).status_code == 404
    assert client.post(url(other, "approve/")).status_code == 404
    response = client.post(url(submitted, "approve/"), {"comment": "Fine"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.APPROVED


def test_a_reviewer_outside_the_choices_is_refused_beside_the_field(client, erin, bob, submitted):
    sign_in(client, erin)
    response = client.post(url(submitted, "reviewers/"), {"reviewer-reviewer": str(bob.pk)})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<a href="#id_reviewer-reviewer">Reviewer: Choose one of the analysts listed.' in page
    assert not ReviewEvent.objects.filter(report=submitted, transition=Transition.ASSIGN).exists()


def test_only_those_who_may_assign_assign_and_only_submitted_reports(client, alice, cora, erin, farid, submitted):
    for persona in (alice, cora):
        sign_in(client, persona)
        assert ">Reviewer</h2>" not in client.get(url(submitted)).content.decode()
        assert client.post(url(submitted, "reviewers/"), {"reviewer-reviewer": str(farid.pk)}).status_code == 404
    inactive = UserFactory.create(username="olga", role="rilo_analyst", region=farid.region, is_active=False)
    sign_in(client, erin)
    assert client.post(url(submitted, "reviewers/"), {"reviewer-reviewer": str(inactive.pk)}).status_code == 400
    client.post(url(submitted, "approve/"))
    assert ">Reviewer</h2>" not in client.get(url(submitted)).content.decode()
    assert client.post(url(submitted, "reviewers/"), {"reviewer-reviewer": str(farid.pk)}).status_code == 404


@pytest.mark.parametrize("persona", ["dmitri", "farid", "bob"])
def test_a_user_out_of_reach_posting_to_the_sharing_urls_of_a_french_report_gets_not_found(
    client, request, persona, submitted, france, kazakhstan, germany, farid
):
    sign_in(client, request.getfixturevalue(persona))
    assert share(client, submitted, kazakhstan, personal=True).status_code == 404
    assert client.post(url(submitted, f"shares/{germany.pk}/end/")).status_code == 404
    assert client.post(url(submitted, "reviewers/"), {"reviewer-reviewer": str(farid.pk)}).status_code == 404
    assert not ReportGroupObjectPermission.objects.filter(content_object=submitted).exists()
    assert not ReviewEvent.objects.filter(report=submitted, transition__in=["share", "assign"]).exists()
