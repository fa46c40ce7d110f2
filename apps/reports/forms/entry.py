"""The entry forms of a report: the case form and one form (and formset) per part.

The fields of each form are the catalogue's input fields of its part (:mod:`apps.reports.catalogue`: label,
input kind, help text), turned into form fields by :mod:`.fields`; an item's commodity-specific attributes
are the inputs its commodity type's schema defines (:mod:`.attributes`).

These forms only parse what was typed (a date is a date, a number a number). What a report needs
(required fields per form variant, known codes, believable quantities and dates) is decided by the
domain (``apps.reports.validation``, through the services); its errors are put back beside the
fields they name (:meth:`.entry_page.ReportEntry.add_service_errors`), so the rules live in one place.
The one exception is the attribute validator, run here too so its messages land at their inputs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.core.actor import Actor
from apps.reference.models import CommodityType

from .. import catalogue
from ..choices import FormVariant
from ..models import Operation
from ..selectors import joint_operations_attachable
from .attributes import (
    AttributeField,
    attribute_errors,
    attribute_fields,
    field_name,
    initial_value,
    is_attribute_field,
    stored_value,
)
from .fields import autocomplete, form_fields, hidden_without_personal_rights

# The form's key of each part of a report: "case" for the report's own fields, the wire key (the
# formset prefix) for each kind of rows.
CASE = "case"
PARTS: tuple[str, ...] = tuple(catalogue.part(name).wire_key for name in catalogue.ROW_PARTS)
_CATALOGUE_PART = {CASE: "report"} | {catalogue.part(name).wire_key: name for name in catalogue.ROW_PARTS}
PART_TITLES = {key: catalogue.part(_CATALOGUE_PART[key]).plural for key in PARTS}


def row_label(part: str, number: int) -> str:
    """One row of a part (by its form key) named with its number, e.g. "Item 2", in the active language."""
    return catalogue.part(_CATALOGUE_PART[part]).row_label(number)


# The WCO minimal data set: what the simplified variant shows. Other fields of the full form are kept
# in hidden inputs, so switching variant or editing in the simplified variant loses nothing.
SIMPLIFIED_FIELDS: dict[str, frozenset[str]] = {
    key: frozenset(catalogue.names(name, simplified=True)) for key, name in _CATALOGUE_PART.items()
}
# Row fields a report cannot store without (the services refuse a row lacking them).
ROW_REQUIRED: dict[str, tuple[str, ...]] = {
    key: tuple(field.name for field in catalogue.fields(_CATALOGUE_PART[key]) if field.required) for key in PARTS
}
COUNTRY_FIELDS = frozenset(
    field.name for name in _CATALOGUE_PART.values() for field in catalogue.fields(name) if field.kind == "country"
)


def _declared(part: str) -> Callable[[type[EntryForm]], type[EntryForm]]:
    """Give a form the catalogue's fields of ``part``, in order; a field the form declares itself stands instead."""

    def declare(form: type[EntryForm]) -> type[EntryForm]:
        own = form.declared_fields
        form.base_fields = {name: own.get(name, field) for name, field in form_fields(part).items()}
        form.personal_fields = hidden_without_personal_rights(part)
        return form

    return declare


class EntryForm(forms.Form):
    """Base of the entry forms: no field is required here (the domain decides), types are checked."""

    template_name_div = "reports/_form_fields.html"
    # Left out for a user without personal-data rights (never shown, never sent: the services keep them).
    personal_fields: frozenset[str] = frozenset()

    def __init__(self, *args: Any, personal: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not personal:
            for name in self.personal_fields:
                self.fields.pop(name, None)
        for name, field in self.fields.items():
            if name in COUNTRY_FIELDS:
                autocomplete(field, f"{self.add_prefix(name)}-options", reverse("reports:countries"))

    def service_values(self) -> dict[str, Any]:
        """Cleaned values by model field name, as the services take them."""
        values = {}
        for name in self.fields:
            if name in ("DELETE", "ORDER"):
                continue
            value = self.cleaned_data.get(name)
            if isinstance(self.fields[name], forms.ModelMultipleChoiceField):
                value = list(value or ())
            values[name] = value
        return values


@_declared("report")
class CaseForm(EntryForm):
    """The report's own fields: what, when, where, how it was found."""

    form_variant = forms.ChoiceField(choices=FormVariant.choices, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Actor | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        operation_field = cast(forms.ModelChoiceField, self.fields["operation"])
        if user is not None:  # the domain's rule: the operations this user may attach a report to
            operation_field.queryset = joint_operations_attachable(actor=user)
        else:
            operation_field.queryset = Operation.objects.filter(region__isnull=True).order_by("-starts_on", "code")
        self.fields["seizure_date"].widget.attrs.update({"min": "1990-01-01", "max": timezone.localdate().isoformat()})


@_declared("item")
class ItemForm(EntryForm):
    """One kind of goods; the commodity type list follows the chosen category, the attribute inputs the type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.data.get(self.add_prefix("commodity_category")) if self.is_bound else None
        if category is None:
            category = self.initial.get("commodity_category")
        types = commodity_types_of(category)
        cast(forms.ModelChoiceField, self.fields["commodity_type"]).queryset = types
        autocomplete(self.fields["hs_code"], f"{self.add_prefix('hs_code')}-options", reverse("reports:hs_codes"))
        # The type list follows the category; the normalised quantity follows quantity and unit.
        self.fields["commodity_category"].widget.attrs.update(
            {
                "hx-get": reverse("reports:commodity_types"),
                "hx-trigger": "change",
                "hx-target": f"#id_{self.add_prefix('commodity_type')}",
                "hx-swap": "innerHTML",
            }
        )
        quantity, unit = self.add_prefix("quantity"), self.add_prefix("unit")
        for name in ("quantity", "unit"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": reverse("reports:normalised_quantity"),
                    "hx-trigger": "change",
                    "hx-target": f"#{self.prefix}-normalised",
                    "hx-include": f"[name='{quantity}'],[name='{unit}']",
                    "hx-vals": json.dumps({"prefix": self.prefix}),
                }
            )
        self._add_attribute_fields(types)

    def _add_attribute_fields(self, types: QuerySet[CommodityType]) -> None:
        """The inputs of the chosen commodity type's attributes (the type posted, else the stored one)."""
        code = self.data.get(self.add_prefix("commodity_type")) if self.is_bound else self.initial.get("commodity_type")
        chosen = types.filter(code=code).first() if code else None
        self.commodity_type: CommodityType | None = chosen
        self.attributes: list[AttributeField] = attribute_fields(chosen)
        stored = self.initial.get("attributes")
        self.initial = dict(self.initial)
        for attribute in self.attributes:
            name = field_name(attribute.name)
            self.fields[name] = attribute.field
            if isinstance(stored, dict) and stored.get(attribute.name) is not None:
                self.initial[name] = initial_value(attribute.field, stored[attribute.name])

    def clean(self) -> dict[str, Any]:
        """The attributes typed, checked by the one attribute validator, its messages at their inputs."""
        cleaned = super().clean() or {}
        values: dict[str, Any] = {}
        for attribute in self.attributes:
            value = cleaned.get(field_name(attribute.name))
            if value is not None and value != "":
                values[attribute.name] = stored_value(value)
        if not any(field_name(attribute.name) in self.errors for attribute in self.attributes):
            for name, messages in attribute_errors(self.commodity_type, values).items():
                target = field_name(name) if field_name(name) in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        cleaned["attributes"] = values
        return cleaned

    def service_values(self) -> dict[str, Any]:
        values = {name: value for name, value in super().service_values().items() if not is_attribute_field(name)}
        values["attributes"] = self.cleaned_data.get("attributes") or {}
        return values


@_declared("route")
class RouteForm(EntryForm):
    """One country of the goods' route, in order."""


@_declared("conveyance")
class ConveyanceForm(EntryForm):
    """A means of transport; its identifier may be personal data (a plate)."""


@_declared("party")
class PartyForm(EntryForm):
    """A person or a company involved in the case: all of it is personal data."""


PART_FORMS: dict[str, type[EntryForm]] = {
    "items": ItemForm,
    "route": RouteForm,
    "conveyances": ConveyanceForm,
    "parties": PartyForm,
}
FORMSETS = {
    part: forms.formset_factory(form, extra=0, can_delete=True, max_num=200, absolute_max=200)
    for part, form in PART_FORMS.items()
}


def commodity_types_of(category_code: Any) -> Any:
    """Active commodity types of one category (by code), for the type select."""
    if not category_code:
        return CommodityType.objects.none()
    return CommodityType.objects.active().filter(category__code=str(category_code))
