"""show_errors(): a service's refusal shown on the form that asked for the change."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from apps.core.exceptions import ApplicationError, Conflict
from apps.core.forms import show_errors


class NameForm(forms.Form):
    name = forms.CharField(required=False)


def bound() -> NameForm:
    form = NameForm({"name": "x"})
    assert form.is_valid()
    return form


def test_a_validation_error_by_field_is_shown_beside_the_field_and_an_unknown_key_at_the_top():
    form = bound()
    show_errors(form, ValidationError({"name": ["Taken."], "elsewhere": ["Refused."]}))
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Refused."]


def test_a_validation_error_without_fields_is_shown_at_the_top():
    form = bound()
    show_errors(form, ValidationError("No."))
    assert form.non_field_errors() == ["No."]


def test_an_application_error_places_the_fields_it_names_else_shows_its_message():
    form = bound()
    show_errors(form, ApplicationError("Refused.", extra={"name": ["Too long."]}))
    assert form.errors["name"] == ["Too long."] and not form.non_field_errors()
    other = bound()
    show_errors(other, Conflict("The report was changed meanwhile."))
    assert other.non_field_errors() == ["The report was changed meanwhile."]


def test_a_field_the_service_names_otherwise_is_shown_beside_the_forms_field_it_is_renamed_to():
    form = bound()
    show_errors(form, ApplicationError("Too far.", extra={"label": ["Too far."]}), renamed={"label": "name"})
    assert form.errors["name"] == ["Too far."] and not form.non_field_errors()
    other = bound()
    show_errors(other, ValidationError({"label": ["Taken."]}), renamed={"label": "name"})
    assert other.errors["name"] == ["Taken."]
