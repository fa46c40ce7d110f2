"""Validation errors carry structured paths; forms, the API and inbound messages each get their keys from one place."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.reports.errors import Errors, ReportValidationError, api_key, form_key, paths_of, wire_key
from apps.reports.validation import clean_item, clean_parts, clean_report_fields


def test_a_path_becomes_the_key_of_each_consumer():
    path = ("items", 0, "quantity")
    assert form_key(path) == "items-0-quantity"
    assert api_key(path) == "items[0].quantity"
    assert wire_key(path) == "data.items[0].quantity"
    assert (form_key(("place",)), api_key(("place",)), wire_key(("place",))) == ("place", "place", "data.report.place")
    assert (form_key(("route",)), api_key(("route",)), wire_key(("route",))) == ("route", "route", "data.route")


def test_the_error_keeps_the_form_keys_and_carries_the_paths():
    errors = Errors()
    errors.add(("parties", 1, "eori"), "Bad.")
    errors.add("seizure_date", "Missing.")
    with pytest.raises(ReportValidationError) as raised:
        errors.raise_if_any()
    assert raised.value.message_dict == {"parties-1-eori": ["Bad."], "seizure_date": ["Missing."]}
    assert paths_of(raised.value) == {("parties", 1, "eori"): ["Bad."], ("seizure_date",): ["Missing."]}


def test_an_error_raised_by_field_name_has_one_step_paths():
    assert paths_of(ValidationError({"national_reference": ["Taken."]})) == {("national_reference",): ["Taken."]}
    assert paths_of(ValidationError("Whole.")) == {(): ["Whole."]}


@pytest.mark.django_db
def test_validation_reports_a_bad_item_field_by_its_path():
    errors = Errors()
    clean_report_fields({"seizure_date": "not a date"}, errors=errors)
    clean_parts([{"quantity": "x"}, {"quantity": "1", "colour": "red"}], clean_item, errors=errors)
    assert errors.paths[("seizure_date",)] == ["Enter a date as YYYY-MM-DD."]
    assert errors.paths[("items", 0, "quantity")] == ["Enter a number."]
    assert errors.paths[("items", 1, "colour")] == ["This field cannot be set."]
    assert errors.messages["items-1-colour"] == ["This field cannot be set."]
