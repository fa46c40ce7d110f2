"""The field catalogue of a report, and the personal-data tags: every field of every report and audit model
is declared, and tagged one way or the other."""

from __future__ import annotations

import pytest
from django.apps import apps

from apps.core.personal import field_names, is_personal, non_personal_fields, personal_fields, reviewable_free_text
from apps.reports import catalogue
from apps.reports.models import Conveyance, Party, Report, ReportItem, RouteCountry


@pytest.mark.parametrize("app_label", ["reports", "audit"])
def test_every_field_of_every_model_is_tagged_personal_or_not(app_label):
    for model in apps.get_app_config(app_label).get_models():
        names = field_names(model)
        personal, non_personal = personal_fields(model), non_personal_fields(model)
        assert not personal & non_personal, f"{model.__name__}: tagged both ways: {personal & non_personal}"
        assert names - personal - non_personal == set(), f"{model.__name__}: untagged fields"
        assert (personal | non_personal) - names == set(), f"{model.__name__}: tags name no field"


def test_it_tags_parties_free_text_and_identifiers_as_personal():
    assert is_personal(Party, "family_name")
    assert is_personal(Party, "id_document_number")
    assert is_personal(Report, "modus_operandi")
    assert is_personal(ReportItem, "concealment_detail")
    assert is_personal(Conveyance, "identifier")
    assert not is_personal(Report, "national_reference")
    assert not is_personal(ReportItem, "quantity")


def test_history_models_inherit_the_tags_of_the_model_they_record():
    history = Report.history.model
    assert is_personal(history, "modus_operandi")
    assert is_personal(history, "history_user")
    assert not is_personal(history, "seizure_date")


def test_a_model_left_out_of_a_non_empty_catalogue_counts_as_entirely_personal(monkeypatch):
    from apps.reports import models as report_models

    monkeypatch.setitem(report_models.PERSONAL_FIELDS, "ReportItem", frozenset())
    monkeypatch.delitem(report_models.PERSONAL_FIELDS, "ReportItem")
    assert personal_fields(ReportItem) == field_names(ReportItem)


# The field catalogue (apps.reports.catalogue): one declaration of a report's fields.

CATALOGUED_MODELS = {
    "report": Report,
    "item": ReportItem,
    "route": RouteCountry,
    "conveyance": Conveyance,
    "party": Party,
}


@pytest.mark.parametrize("part_name", sorted(CATALOGUED_MODELS))
def test_every_field_of_a_report_part_is_in_the_field_catalogue_and_nothing_else(part_name):
    part = catalogue.part(part_name)
    assert part.model is CATALOGUED_MODELS[part_name]
    declared = [field.name for field in part.fields]
    assert len(declared) == len(set(declared)), f"{part_name}: a field declared twice"
    model_fields = field_names(part.model) - catalogue.ROW_KEYS
    assert model_fields - set(declared) == set(), f"{part_name}: model fields missing from the catalogue"
    assert set(declared) - model_fields == set(), f"{part_name}: catalogue names no model field"


def test_the_catalogue_declares_each_field_kind_with_what_it_needs():
    for part in catalogue.PARTS.values():
        for field in part.fields:
            assert field.part == part.name
            assert (field.vocabulary is not None) == (field.kind in ("term", "terms")), field
            if field.editable:
                assert field.kind in catalogue.INPUT_KINDS, field
                assert (field.choices is not None) == (field.kind == "choice"), field
            assert not field.reviewable or field.personal, f"{field}: reviewable but not personal"
            assert not field.simplified or field.editable, f"{field}: the simplified form shows what no one enters"


def test_the_personal_tags_of_a_report_come_from_the_catalogue():
    for part in catalogue.PARTS.values():
        for field in part.fields:
            assert is_personal(part.model, field.name) == field.personal, field
            assert (field.name in reviewable_free_text(part.model)) == field.reviewable, field


def test_a_field_is_found_by_part_and_name():
    quantity = catalogue.field("item", "quantity")
    assert (quantity.kind, quantity.required, quantity.simplified, quantity.personal) == ("decimal", True, True, False)
    assert quantity.path == "items.quantity"
    assert catalogue.part_by_wire_key("parties") is catalogue.part("party")
    with pytest.raises(KeyError):
        catalogue.field("item", "no_such_field")


def test_the_simplified_form_shows_the_wco_minimal_data_set():
    assert set(catalogue.names("report", simplified=True)) == {
        "kind",
        "national_reference",
        "seizure_date",
        "country_of_seizure",
        "transport_mode",
        "detection_methods",
    }
    assert catalogue.names("party", simplified=True) == ()


def test_restricted_fields_are_those_the_forms_and_the_api_show_only_with_the_personal_data_right():
    assert catalogue.names("report", restricted=True) == ("modus_operandi",)
    assert catalogue.names("item", restricted=True) == ("concealment_detail",)
    assert catalogue.names("conveyance", restricted=True) == ("identifier",)
    assert set(catalogue.names("party", restricted=False)) == {"kind", "role"}
    for part in catalogue.PARTS.values():
        assert all(field.personal for field in part.fields if field.restricted)


def test_every_consumer_takes_its_field_list_from_the_catalogue():
    """Adding a field to a part is one model field and one catalogue line: each consumer then has it."""
    from apps.exchange.inbound import DERIVED_KEYS
    from apps.exchange.snapshot import DERIVED_NON_PERSONAL, SECTION_FIELDS
    from apps.reports.api import inputs, serializers

    outputs = {
        "item": serializers.ItemSerializer,
        "route": serializers.RouteStepSerializer,
        "conveyance": serializers.ConveyanceSerializer,
        "party": serializers.PartySerializer,
        "report": serializers.ReportSerializer,
    }
    requests = {
        "item": inputs.ItemInputSerializer,
        "route": inputs.RouteStepInputSerializer,
        "conveyance": inputs.ConveyanceInputSerializer,
        "party": inputs.PartyInputSerializer,
        "report": inputs.ReportChangesSerializer,
    }
    for name, part in catalogue.PARTS.items():
        shown = {field.name for field in part.fields} - {"created_by", "submitted_by", "approved_by", "search_vector"}
        assert shown <= set(outputs[name]._declared_fields), name
        entered = set(catalogue.names(name))
        assert entered <= set(requests[name]().get_fields()), name
        section = part.wire_key
        shared = set(catalogue.names(name, editable=None, shared=True))
        assert set(SECTION_FIELDS[section]) == shared | DERIVED_NON_PERSONAL.get(section, frozenset()), name
        assert set(SECTION_FIELDS[section]) == entered | DERIVED_KEYS[section], name


def test_the_generalise_tags_say_what_a_sharing_policy_may_generalise():
    every = [item for declared in catalogue.PARTS.values() for item in declared.fields]
    assert {item.generalise for item in every} <= catalogue.GENERALISE | {""}
    assert catalogue.generalised("date") == {"report.seizure_date", "report.approved_at", "parties.birth_date"}
    assert catalogue.generalised("place") == {"report.place", "report.customs_office", "route.place", "route.unlocode"}
    assert catalogue.generalised("quantity") == {
        "items.quantity",
        "items.normalised_quantity",
        "items.estimated_value",
        "items.packages_count",
    }


def test_places_typed_by_an_officer_go_to_partners_without_personal_data_only_generalised():
    assert catalogue.generalised_without_personal_data() == {"report.place", "route.place"}
    for path in catalogue.generalised_without_personal_data():
        section, name = path.split(".")
        item = catalogue.field(catalogue.part_by_wire_key(section).name, name)
        assert item.personal and item.generalise == "place"


def test_the_lists_read_the_reports_terms_named_by_the_catalogue():
    from apps.reports.selectors import _REPORT_TERMS

    assert set(_REPORT_TERMS) == {
        "location_type",
        "direction",
        "transport_mode",
        "conveyance_type",
        "selection_basis",
    }


def test_a_catalogue_line_that_does_not_say_whether_its_field_is_personal_is_refused():
    from apps.reports.catalogue import _item

    with pytest.raises(TypeError, match="personal"):
        _item("seller_name", "Seller", "text")
    assert _item("seller_name", "Seller", "text", personal=True).personal
