"""The entry forms of a report: the case form and one form (and formset) per part.

These forms only parse what was typed (a date is a date, a number a number). What a report needs
(required fields per form variant, known codes, believable quantities and dates) is decided by the
domain (``apps.reports.validation``, through the services); its errors are put back beside the
fields they name (:meth:`.entry_page.ReportEntry.add_service_errors`), so the rules live in one place.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.reference.models import (
    CommodityCategory,
    CommodityType,
    ConcealmentMethod,
    ConveyanceType,
    Currency,
    DetectionMethod,
    Direction,
    LocationType,
    SelectionBasis,
    TransportMode,
    Unit,
)

from ..choices import (
    FormVariant,
    Genuineness,
    IdDocumentType,
    IdentifierType,
    LegalFollowUp,
    PartyKind,
    PartyRole,
    ReportKind,
    RouteRole,
    Sex,
)
from ..models import Operation

PARTS = ("items", "route", "conveyances", "parties")
PART_LABELS = {"items": "Item", "route": "Route step", "conveyances": "Conveyance", "parties": "Person or company"}
PART_TITLES = {"items": "Items", "route": "Route", "conveyances": "Conveyances", "parties": "Persons and companies"}

# The WCO minimal data set: what the simplified variant shows. Other fields of the full form are kept
# in hidden inputs, so switching variant or editing in the simplified variant loses nothing.
SIMPLIFIED_FIELDS: dict[str, frozenset[str]] = {
    "case": frozenset(
        {"kind", "national_reference", "seizure_date", "country_of_seizure", "transport_mode", "detection_methods"}
    ),
    "items": frozenset({"commodity_category", "commodity_type", "hs_code", "quantity", "unit", "description"}),
    "route": frozenset(),
    "conveyances": frozenset(),
    "parties": frozenset(),
}
# Row fields a report cannot store without (the services refuse a row lacking them).
ROW_REQUIRED: dict[str, tuple[str, ...]] = {
    "items": ("commodity_category", "quantity", "unit"),
    "route": ("role", "country"),
    "conveyances": (),
    "parties": (),
}
COUNTRY_FIELDS = frozenset(
    {"country_of_seizure", "country_of_manufacture", "country", "flag_country", "nationality", "id_document_country"}
    | {"company_country"}
)


def _autocomplete(field: forms.Field, datalist_id: str, url: str) -> None:
    """A text input suggesting values from a <datalist> that htmx fills as the user types."""
    field.widget.attrs.update(
        {
            "list": datalist_id,
            "autocomplete": "off",
            "hx-get": url,
            "hx-trigger": "input changed delay:300ms",
            "hx-target": f"#{datalist_id}",
            "hx-swap": "innerHTML",
        }
    )


def _vocabulary(model: Any, label: str, **kwargs: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=model.objects.active(), to_field_name="code", required=False, label=label, **kwargs
    )


def _choices(choices: Sequence[tuple[str, str]], label: str, blank: bool = True, **kwargs: Any) -> forms.ChoiceField:
    options = [("", "—"), *choices] if blank else list(choices)
    return forms.ChoiceField(choices=options, required=False, label=label, **kwargs)


def _country(label: str, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        max_length=100,
        required=False,
        label=label,
        help_text=kwargs.pop("help_text", "ISO code or English name, e.g. FR or France."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "input--short"}),
        **kwargs,
    )


def _date(label: str, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        required=False,
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


def _text(label: str, max_length: int | None = None, **kwargs: Any) -> forms.CharField:
    return forms.CharField(max_length=max_length, required=False, label=label, **kwargs)


def _area(label: str, **kwargs: Any) -> forms.CharField:
    return forms.CharField(required=False, label=label, widget=forms.Textarea(attrs={"rows": 3}), **kwargs)


class EntryForm(forms.Form):
    """Base of the entry forms: no field is required here (the domain decides), types are checked."""

    template_name_div = "reports/_form_fields.html"
    personal_fields: frozenset[str] = frozenset()

    def __init__(self, *args: Any, personal: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not personal:
            for name in self.personal_fields:
                self.fields.pop(name, None)
        for name, field in self.fields.items():
            if name in COUNTRY_FIELDS:
                _autocomplete(field, f"{self.add_prefix(name)}-options", reverse("reports:countries"))

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


class CaseForm(EntryForm):
    """The report's own fields: what, when, where, how it was found."""

    personal_fields = frozenset({"modus_operandi"})

    form_variant = forms.ChoiceField(choices=FormVariant.choices, required=False, widget=forms.HiddenInput)
    kind = _choices(ReportKind.choices, "Kind of case", blank=False, initial=ReportKind.SEIZURE)
    national_reference = _text("National reference", 64, help_text="Your administration's case number.")
    seizure_date = _date("Date of seizure", help_text="YYYY-MM-DD; not in the future, not before 1990.")
    seizure_time = forms.TimeField(
        required=False, label="Time of seizure", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    country_of_seizure = _country("Country of seizure")
    customs_office = _text("Customs office", 160)
    place = _text("Place", 200, help_text="Port, airport, border crossing or town.")
    latitude = forms.DecimalField(required=False, label="Latitude", help_text="Decimal degrees, e.g. 49.4812.")
    longitude = forms.DecimalField(required=False, label="Longitude", help_text="Decimal degrees, e.g. 0.1071.")
    location_type = _vocabulary(LocationType, "Type of location")
    direction = _vocabulary(Direction, "Direction of the goods")
    transport_mode = _vocabulary(TransportMode, "Mode of transport")
    conveyance_type = _vocabulary(ConveyanceType, "Type of conveyance")
    detection_methods = forms.ModelMultipleChoiceField(
        queryset=DetectionMethod.objects.active(),
        to_field_name="code",
        required=False,
        label="Detection methods",
        widget=forms.CheckboxSelectMultiple,
    )
    selection_basis = _vocabulary(SelectionBasis, "Basis of selection")
    modus_operandi = _area("Modus operandi", help_text="How the goods were smuggled. Treated as personal data.")
    number_of_offenders = forms.IntegerField(required=False, label="Number of offenders")
    legal_follow_up = _choices(LegalFollowUp.choices, "Legal follow-up", blank=False, initial=LegalFollowUp.UNKNOWN)
    operation = forms.ModelChoiceField(
        queryset=Operation.objects.none(), to_field_name="code", required=False, label="Joint operation"
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region_id = getattr(getattr(user, "administration", None), "region_id", None) or getattr(
            user, "region_id", None
        )
        operations = Operation.objects.filter(region__isnull=True)
        if region_id:
            operations = Operation.objects.filter(region__isnull=True) | Operation.objects.filter(region_id=region_id)
        operation_field = cast(forms.ModelChoiceField, self.fields["operation"])
        operation_field.queryset = operations.order_by("-starts_on", "code")
        self.fields["seizure_date"].widget.attrs.update({"min": "1990-01-01", "max": timezone.localdate().isoformat()})


class ItemForm(EntryForm):
    """One kind of goods; the commodity type list follows the chosen category."""

    personal_fields = frozenset({"concealment_detail"})

    commodity_category = _vocabulary(CommodityCategory, "Commodity category")
    commodity_type: forms.ModelChoiceField[CommodityType] = forms.ModelChoiceField(
        queryset=CommodityType.objects.none(), to_field_name="code", required=False, label="Commodity type"
    )
    hs_code = _text("HS code", 12, help_text="2, 4 or 6 digits, or type words of the description.")
    description = _area("Description of the goods", help_text="No names of persons.")
    quantity = forms.DecimalField(
        required=False, label="Quantity", widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    unit = _vocabulary(Unit, "Unit")
    packages_count = forms.IntegerField(required=False, label="Number of packages")
    estimated_value = forms.DecimalField(
        required=False, label="Estimated value", widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    currency = _vocabulary(Currency, "Currency")
    brand = _text("Brand", 120)
    genuineness = _choices(Genuineness.choices, "Genuineness", blank=False, initial=Genuineness.UNKNOWN)
    country_of_manufacture = _country("Country of manufacture")
    concealment_method = _vocabulary(ConcealmentMethod, "Concealment method")
    concealment_detail = _area("Concealment detail", help_text="Treated as personal data.")
    attributes = _area(
        "Commodity-specific attributes",
        help_text='As JSON, e.g. {"purity": 82} for drugs or {"sticks": 200} for tobacco.',
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.data.get(self.add_prefix("commodity_category")) if self.is_bound else None
        if category is None:
            category = self.initial.get("commodity_category")
        type_field = cast(forms.ModelChoiceField, self.fields["commodity_type"])
        type_field.queryset = commodity_types_of(category)
        _autocomplete(self.fields["hs_code"], f"{self.add_prefix('hs_code')}-options", reverse("reports:hs_codes"))
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

    def clean_attributes(self) -> dict[str, Any]:
        text = (self.cleaned_data.get("attributes") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as error:  # RecursionError: nested too deep to parse
            raise ValidationError(_('Enter the attributes as JSON, e.g. {"purity": 82}.')) from error
        if not isinstance(value, dict):
            raise ValidationError(_('Enter the attributes as a JSON object, e.g. {"purity": 82}.'))
        return value


class RouteForm(EntryForm):
    """One country of the goods' route, in order."""

    role = _choices(RouteRole.choices, "Role in the route")
    country = _country("Country")
    place = _text("Place", 120)
    unlocode = _text("UN/LOCODE", 5, help_text="5 characters, e.g. FRLEH.")


class ConveyanceForm(EntryForm):
    """A means of transport; its identifier may be personal data (a plate)."""

    personal_fields = frozenset({"identifier"})

    transport_mode = _vocabulary(TransportMode, "Mode of transport")
    conveyance_type = _vocabulary(ConveyanceType, "Type of conveyance")
    identifier_type = _choices(IdentifierType.choices, "Identifier type")
    identifier = _text("Identifier", 64, help_text="Vessel IMO, flight number, plate, container, AWB…")
    flag_country = _country("Flag or registration country")


class PartyForm(EntryForm):
    """A person or a company involved in the case: all of it is personal data."""

    kind = _choices(PartyKind.choices, "Person or company", blank=False, initial=PartyKind.PERSON)
    role = _choices(PartyRole.choices, "Role in the case", blank=False, initial=PartyRole.OFFENDER)
    family_name = _text("Family name", 120)
    given_names = _text("Given names", 120)
    birth_date = _date("Date of birth")
    nationality = _country("Nationality")
    sex = _choices(Sex.choices, "Sex")
    id_document_type = _choices(IdDocumentType.choices, "Identity document")
    id_document_number = _text("Document number", 64)
    id_document_country = _country("Document issued by")
    company_name = _text("Company name", 200)
    registration_number = _text("Registration number", 64)
    eori = _text("EORI number", 17)
    company_country = _country("Company country")


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
    return CommodityType.objects.active().filter(category__code=str(category_code)).order_by("sort_order", "label")
