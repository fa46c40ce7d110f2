"""The entry form: one page, case and formsets, draft or submit, variants, errors beside fields, nothing lost."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from apps.reports.choices import FormVariant, ReportStatus
from apps.reports.models import Report
from apps.reports.services import report_approve, report_return
from apps.reports.validation import REQUIRED_FOR_SUBMISSION

from .conftest import must_search, sign_in
from .forms import entry_post, management

NEW = "/reports/new/"


@pytest.fixture
def officer(client, alice, vocab):
    sign_in(client, alice)
    return client


def error_beside(page: str, field_id: str) -> str:
    """The text of the error list Django renders beside a field (its id is what aria-describedby names)."""
    match = re.search(rf'<ul class="errorlist" id="{re.escape(field_id)}_error">(.*?)</ul>', page, re.S)
    assert match, f"no error beside {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_the_new_report_page_has_every_section_as_a_fieldset_with_a_legend(officer):
    page = officer.get(NEW).content.decode()
    for legend in ("Case", "Items", "Route", "Conveyances", "Persons and companies (personal data)"):
        assert re.search(rf"<legend>\s*{re.escape(legend)}", page), legend
    assert 'name="items-TOTAL_FORMS"' in page and 'value="1"' in page  # one empty item to start with
    assert "Save draft" in page and "Save and submit for review" in page


def test_an_officer_saves_a_complete_draft_with_all_its_parts(officer, alice, france):
    response = officer.post(NEW, entry_post("draft"))
    assert response.status_code == 302
    report = Report.objects.get(national_reference="FR-2025-0001")
    assert response["Location"] == f"/reports/{report.uuid}/edit/"
    assert report.administration == france
    assert report.status == ReportStatus.DRAFT
    assert report.created_by == alice
    item = report.items.get()
    assert (item.quantity, item.unit.code, item.hs_code.code) == (Decimal("200000.000"), "STK", "240220")
    assert item.normalised_quantity == Decimal(200000)
    assert [(step.role, step.country.code) for step in report.route.all()] == [("origin", "AE"), ("destination", "GB")]
    assert report.conveyances.get().identifier == "MSCU1234565"
    assert report.parties.get().family_name == "Dupont"
    assert [m.code for m in report.detection_methods.all()] == ["xray"]


def test_a_draft_skips_the_fields_required_for_submission(officer):
    response = officer.post(NEW, entry_post("draft", place="", location_type="", direction="", detection_methods=[]))
    assert response.status_code == 302
    assert Report.objects.get(national_reference="FR-2025-0001").status == ReportStatus.DRAFT


def test_submitting_a_complete_report_sends_it_for_review(officer):
    response = officer.post(NEW, entry_post("submit"))
    report = Report.objects.get(national_reference="FR-2025-0001")
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.uuid}/"
    assert report.status == ReportStatus.SUBMITTED


@pytest.mark.parametrize("missing", REQUIRED_FOR_SUBMISSION[FormVariant.FULL])
def test_submission_of_the_full_form_requires_each_of_its_fields(officer, missing):
    blank: dict[str, Any] = {missing: [] if missing == "detection_methods" else ""}
    response = officer.post(NEW, entry_post("submit", **blank))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-summary"' in page
    assert "required" in page
    # The draft part that could be saved is kept, or (for the three a report cannot exist without) kept as a form.
    report = Report.objects.filter(national_reference="FR-2025-0001").first()
    if missing in ("national_reference", "seizure_date", "country_of_seizure"):
        assert report is None
    else:
        assert report is not None and report.status == ReportStatus.DRAFT
    anchor = f"id_{missing}_0" if missing == "detection_methods" else f"id_{missing}"
    assert f'href="#{anchor}"' in page


def test_the_simplified_form_shows_the_minimal_data_set_and_submits_with_it(officer):
    page = officer.get(NEW + "?variant=simplified").content.decode()
    assert 'name="place" value=""' not in page or 'type="hidden" name="place"' in page
    assert re.search(r'<label for="id_seizure_date">', page)
    assert not re.search(r'<label for="id_place">', page)  # full-form field kept hidden
    assert not re.search(r"<legend>\s*Route", page)
    data = entry_post("submit", variant="simplified", place="", location_type="", direction="")
    for key in [k for k in data if k.startswith(("route-", "conveyances-", "parties-"))]:
        del data[key]
    response = officer.post(NEW, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get(national_reference="FR-2025-0001")
    assert report.form_variant == FormVariant.SIMPLIFIED
    assert report.status == ReportStatus.SUBMITTED


def test_the_simplified_form_still_requires_its_own_fields(officer):
    data = entry_post("submit", variant="simplified", seizure_date="")
    response = officer.post(NEW, data)
    assert response.status_code == 400
    assert "required" in error_beside(response.content.decode(), "id_seizure_date")


def test_switching_variant_loses_nothing(officer):
    response = officer.post(NEW, entry_post("switch:simplified", place="Le Havre quay 4"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="hidden" name="place" value="Le Havre quay 4"' in page
    assert 'value="Dupont"' in page  # parties kept in hidden inputs
    assert not Report.objects.exists()
    back = officer.post(NEW, {**entry_post("switch:full"), "place": "Le Havre quay 4"}).content.decode()
    assert re.search(r'<input type="text" name="place" value="Le Havre quay 4"', back)


BAD_INPUT = [
    ("seizure_date", (timezone.localdate() + dt.timedelta(days=2)).isoformat(), "id_seizure_date", "future"),
    ("seizure_date", "1989-12-31", "id_seizure_date", "1990"),
    ("seizure_date", "2025-02-31", "id_seizure_date", "valid date"),
    ("items-0-quantity", "-5", "id_items-0-quantity", "greater than zero"),
    ("items-0-quantity", "900000000000", "id_items-0-quantity", "not believable"),
    ("items-0-quantity", "lots", "id_items-0-quantity", "number"),
    ("items-0-hs_code", "999999", "id_items-0-hs_code", "Unknown HS code"),
    ("items-0-hs_code", "24x", "id_items-0-hs_code", "2, 4 or 6 digits"),
    ("items-0-unit", "BARRELS", "id_items-0-unit", "valid choice"),
    ("country_of_seizure", "Atlantis", "id_country_of_seizure", "Unknown country"),
    ("route-1-unlocode", "XX", "id_route-1-unlocode", "UN/LOCODE"),
]


@pytest.mark.parametrize(("name", "value", "field_id", "message"), BAD_INPUT)
@pytest.mark.parametrize("action", ["draft", "submit"])
def test_bad_input_is_refused_beside_its_field_and_everything_typed_is_kept(
    officer, name, value, field_id, message, action
):
    response = officer.post(NEW, entry_post(action, **{name: value}))
    assert response.status_code == 400
    page = response.content.decode()
    assert message.lower() in error_beside(page, field_id).lower()
    assert re.search(
        rf'aria-invalid="true"[^>]*id="{re.escape(field_id)}"|id="{re.escape(field_id)}"[^>]*aria-invalid', page
    )
    assert f'href="#{field_id}"' in page  # the summary links to the field
    for kept in ("Hidden behind furniture", "Cigarettes in master cases", "MSCU1234565", "Dupont", "Le Havre port"):
        assert kept in page
    assert 'value="counterfeit" selected' in page
    assert not Report.objects.exists()


def test_the_error_summary_takes_the_focus_and_lists_every_problem(officer):
    response = officer.post(NEW, entry_post("draft", seizure_date="1980-01-01", **{"items-0-quantity": "-1"}))
    page = response.content.decode()
    summary = must_search(r'<div class="error-summary"[^>]*>', page).group(0)
    assert "autofocus" in summary and 'tabindex="-1"' in summary and 'role="alert"' in summary
    assert "There are 2 problems" in page
    assert page.index('id="error-summary"') < page.index('id="section-case"')
    assert "Item 1 \N{EN DASH} Quantity" in page


def test_a_deleted_row_is_not_saved_and_other_rows_are(officer):
    data = entry_post(
        "draft",
        **management("items", 2),
        **{
            "items-1-commodity_category": "drugs",
            "items-1-commodity_type": "cocaine",
            "items-1-quantity": "12.5",
            "items-1-unit": "KGM",
            "items-0-DELETE": "on",
        },
    )
    assert officer.post(NEW, data).status_code == 302
    item = Report.objects.get().items.get()
    assert (item.commodity_type.code, item.quantity) == ("cocaine", Decimal("12.500"))


def test_an_empty_extra_row_is_ignored(officer):
    # A browser posts the untouched row's selects with their defaults, the rest empty.
    data = entry_post("draft", **management("items", 2), **{"items-1-genuineness": "unknown", "items-1-quantity": ""})
    assert officer.post(NEW, data).status_code == 302
    assert Report.objects.get().items.count() == 1


def test_adding_and_removing_rows_without_javascript_keeps_what_was_typed(officer):
    page = officer.post(NEW, entry_post("add:items")).content.decode()
    assert 'name="items-TOTAL_FORMS" value="2"' in page
    assert 'name="items-1-quantity"' in page and 'value="200000"' in page
    page = officer.post(NEW, entry_post("remove:route-1")).content.decode()
    assert 'name="route-1-DELETE" value="on"' in page
    assert "will be removed when you save" in page
    assert not Report.objects.exists()


def test_an_administration_in_the_post_is_ignored(officer, france, germany):
    officer.post(NEW, {**entry_post("draft"), "administration": str(germany.pk), "administration_id": str(germany.pk)})
    assert Report.objects.get().administration == france


def test_editing_a_returned_report_and_resubmitting_it(client, alice, erin, vocab, django_capture_on_commit_callbacks):
    sign_in(client, alice)
    client.post(NEW, entry_post("submit"))
    report = Report.objects.get()
    report_return(report=report, actor=erin, comment="Give the place precisely.")
    page = client.get(f"/reports/{report.uuid}/edit/").content.decode()
    assert 'value="Le Havre"' in page and "Save and resubmit for review" in page
    data = entry_post("submit", place="Le Havre, quay 4", **management("items", 1, 1), **management("route", 2, 2))
    data |= management("conveyances", 1, 1) | management("parties", 1, 1)
    response = client.post(f"/reports/{report.uuid}/edit/", data)
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.place) == (ReportStatus.SUBMITTED, "Le Havre, quay 4")


def test_a_submitted_report_is_not_edited_but_the_officer_is_told_why(officer):
    officer.post(NEW, entry_post("submit"))
    report = Report.objects.get()
    response = officer.get(f"/reports/{report.uuid}/edit/", follow=True)
    assert response.redirect_chain[-1][0] == f"/reports/{report.uuid}/"
    assert "only a draft or a report returned for correction can be edited" in response.content.decode()


def test_correcting_an_approved_report_requires_a_reason_and_makes_a_new_version(client, alice, cora, erin, vocab):
    sign_in(client, alice)
    client.post(NEW, entry_post("submit"))
    report = Report.objects.get()
    report_approve(report=report, actor=erin)
    sign_in(client, cora)
    url = f"/reports/{report.uuid}/correct/"
    page = client.get(url).content.decode()
    assert "Reason for the correction" in page
    data = entry_post("correct", place="Rouen", **management("items", 1, 1), **management("route", 2, 2))
    data |= management("conveyances", 1, 1) | management("parties", 1, 1)
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "why" in error_beside(refused.content.decode(), "id_reason").lower()
    response = client.post(url, {**data, "reason": "The seizure was at Rouen."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.version, report.place) == (ReportStatus.APPROVED, 2, "Rouen")


def test_saving_the_edit_form_unchanged_changes_nothing(client, alice, vocab):
    from tests.builders import build_report, entry_form_report

    from .forms import browser_post

    report = build_report(
        by=alice, reference="FR-2025-0001", status=ReportStatus.DRAFT, through_services=True, **entry_form_report()
    )
    sign_in(client, alice)

    def stored() -> tuple:
        fresh = Report.objects.get(pk=report.pk)
        return (
            [
                getattr(fresh, f.attname)
                for f in Report._meta.concrete_fields
                if f.name not in ("updated_at", "search_vector")
            ],
            [m.pk for m in fresh.detection_methods.all()],
            list(fresh.items.values_list("commodity_type", "quantity", "unit", "brand", "concealment_detail")),
            list(fresh.route.values_list("role", "country", "place")),
            list(fresh.conveyances.values_list("identifier_type", "identifier")),
            list(fresh.parties.values_list("kind", "family_name", "given_names")),
        )

    before = stored()
    page = client.get(f"/reports/{report.uuid}/edit/").content.decode()
    assert "Hidden behind furniture" in page and "MSCU1234565" in page and "Inside the sofa" in page
    response = client.post(f"/reports/{report.uuid}/edit/", browser_post(page, "report-form", "draft"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert stored() == before
