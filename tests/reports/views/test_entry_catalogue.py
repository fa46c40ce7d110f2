"""The entry forms read their fields from the field catalogue, and put the domain's errors by path."""

from __future__ import annotations

import pytest

from apps.reports import catalogue
from apps.reports.errors import ReportValidationError
from apps.reports.forms import PART_FORMS, CaseForm, ReportEntry, initial_from_report, payload_as_querydict

from .forms import entry_post


def _input_names(part: str) -> list[str]:
    return [field.name for field in catalogue.fields(part) if field.kind != "attributes"]


def test_each_entry_form_has_the_catalogues_input_fields_of_its_part_in_order():
    assert list(CaseForm.base_fields) == _input_names("report")
    for key, form in PART_FORMS.items():
        assert list(form.base_fields) == _input_names(catalogue.part_by_wire_key(key).name), key
    assert CaseForm.base_fields["national_reference"].label == catalogue.field("report", "national_reference").label


@pytest.mark.django_db
def test_every_case_field_is_shown_in_a_group_of_the_full_form():
    shown = [view.field.name for _legend, views in ReportEntry().case_groups for view in views]
    assert sorted(shown) == sorted(name for name in _input_names("report") if name != "form_variant")


@pytest.mark.django_db
def test_a_user_without_personal_data_rights_gets_no_restricted_field():
    form = CaseForm(personal=False)
    assert "modus_operandi" not in form.fields and "place" in form.fields
    assert "concealment_detail" not in PART_FORMS["items"](personal=False).fields


@pytest.mark.django_db
def test_a_stored_report_gives_an_initial_value_to_every_input_field(alice, vocab):
    from apps.reports.choices import ReportStatus
    from tests.builders import build_report, entry_form_report

    report = build_report(
        by=alice, reference="FR-2025-0001", status=ReportStatus.DRAFT, through_services=True, **entry_form_report()
    )
    initial = initial_from_report(report, list(report.parties.all()))
    assert set(initial["case"]) == set(catalogue.names("report"))
    assert set(initial["items"][0]) == set(catalogue.names("item"))
    assert initial["items"][0]["commodity_type"] == "cigarettes"


@pytest.mark.django_db
def test_the_domains_errors_land_beside_their_fields_by_path(alice, vocab):
    entry = ReportEntry(
        data=payload_as_querydict({k: v if isinstance(v, list) else [v] for k, v in entry_post().items()})
    )
    assert entry.is_valid()
    entry.service_input()
    entry.add_service_errors(
        ReportValidationError(
            {
                ("seizure_date",): ["Not in the future."],
                ("items", 0, "quantity"): ["Too much."],
                ("route",): ["Give the origin."],
                (): ["Something else."],
            }
        )
    )
    assert entry.case.errors["seizure_date"] == ["Not in the future."]
    assert entry.formsets["items"].forms[0].errors["quantity"] == ["Too much."]
    assert entry.part_errors["route"] == ["Give the origin."]
    assert entry.case.non_field_errors() == ["Something else."]
