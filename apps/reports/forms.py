"""Forms of the report pages: the entry form (case and one formset per part), workflow actions, attachments.

These forms only parse what was typed (a date is a date, a number a number). What a report needs
(required fields per form variant, known codes, believable quantities and dates) is decided by the
domain (``apps.reports.validation``, through the services); its errors are put back beside the
fields they name (:meth:`ReportEntry.add_service_errors`), so the rules live in one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
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

from .choices import (
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
from .models import Operation, Party, Report
from .sniffing import ALLOWED_TYPES, DOCX, XLSX, sniff_content_type
from .validation import REQUIRED_FOR_SUBMISSION

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


def free_text_checked_field() -> forms.BooleanField:
    """The approving analyst's "Free text checked: no personal data" tick (approval and correction)."""
    return forms.BooleanField(
        label=_("Free text checked: no personal data"),
        required=False,
        help_text=_(
            "Tick only if you read this version's place, customs office, route places, item descriptions, brands "
            "and attributes and they name no person. Partners without personal data receive this free text only "
            "if you tick it (places only as their country); otherwise it is left out."
        ),
    )


class CorrectionForm(forms.Form):
    """Why an approved report is corrected (recorded with the new version), and whether its free text was checked."""

    reason = forms.CharField(
        label="Reason for the correction",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded with the new version and shown to reviewers.",
    )
    free_text_checked = free_text_checked_field()


# --- the whole entry page ------------------------------------------------------------------------------


@dataclass
class SummaryEntry:
    anchor: str
    label: str
    message: str


_ROW_KEY = re.compile(r"^(items|route|conveyances|parties)-(\d+)-(\w+)$")


def payload_as_querydict(payload: Mapping[str, Sequence[str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, values in payload.items():
        data.setlist(name, list(values))
    return data


class ReportEntry:
    """The entry form of one report: the case form and one formset per part, in one variant.

    ``mode`` is "create", "edit" or "correct" (the latter adds the reason form). Without
    ``personal`` rights the parts and fields holding personal data are left out and never sent
    (the services then leave them as they are).
    """

    def __init__(
        self,
        *,
        data: QueryDict | None = None,
        initial: Mapping[str, Any] | None = None,
        variant: str | None = None,
        personal: bool = True,
        mode: str = "create",
        user: Any = None,
    ) -> None:
        initial = initial or {}
        self.personal = personal
        self.mode = mode
        self.variant = self._variant(data, variant or initial.get("case", {}).get("form_variant"))
        case_initial = {**initial.get("case", {}), "form_variant": self.variant}
        if data is not None:
            data = data.copy()
            data["form_variant"] = self.variant
        self.case = CaseForm(data, initial=case_initial, personal=personal, user=user)
        self.parts = tuple(part for part in PARTS if personal or part not in ("parties", "conveyances"))
        self.formsets: dict[str, forms.BaseFormSet] = {}
        for part in self.parts:
            # A part missing from the posted data (e.g. hidden before) starts from its initial rows.
            part_data = data if data is not None and f"{part}-TOTAL_FORMS" in data else None
            rows = list(initial.get(part, []))
            formset = FORMSETS[part](part_data, initial=rows or None, prefix=part, form_kwargs={"personal": personal})
            if part_data is None and part == "items" and not rows:
                formset.extra = 1  # a new report starts with one empty item
            self.formsets[part] = formset
        self.correction = CorrectionForm(data) if mode == "correct" else None
        self.part_errors: dict[str, list[str]] = {part: [] for part in self.parts}
        self.sent_forms: dict[str, list[forms.Form]] = {part: [] for part in self.parts}

    @staticmethod
    def _variant(data: QueryDict | None, fallback: str | None) -> str:
        requested = data.get("form_variant") if data is not None else None
        action = data.get("action", "") if data is not None else ""
        if action.startswith("switch:"):
            requested = action.removeprefix("switch:")
        for candidate in (requested, fallback):
            if candidate in FormVariant.values:
                return str(candidate)
        return FormVariant.FULL

    # --- presentation ---

    @property
    def is_simplified(self) -> bool:
        return self.variant == FormVariant.SIMPLIFIED

    def visible(self, section: str) -> frozenset[str] | None:
        """Field names shown in ``section`` in this variant; None means all of them."""
        return SIMPLIFIED_FIELDS[section] if self.is_simplified else None

    @property
    def required_fields(self) -> frozenset[str]:
        """Case fields needed before submission in this variant (from the domain's rules)."""
        return frozenset(REQUIRED_FOR_SUBMISSION[self.variant])

    def row_required(self, part: str) -> frozenset[str]:
        names = set(ROW_REQUIRED[part])
        if part == "items" and not self.is_simplified:
            names.add("commodity_type")
        return frozenset(names)

    @property
    def case_groups(self) -> list[tuple[str, list[FieldView]]]:
        visible = self.visible("case")
        required = self.required_fields
        groups = []
        for legend, names in CASE_GROUPS:
            shown = [
                FieldView(self.case[name], name in required)
                for name in names
                if name in self.case.fields and (visible is None or name in visible)
            ]
            if shown:
                groups.append((legend, shown))
        return groups

    @property
    def case_hidden(self) -> list[forms.BoundField]:
        visible = self.visible("case")
        return [
            self.case[name]
            for name in self.case.fields
            if name == "form_variant" or (visible is not None and name not in visible)
        ]

    @property
    def sections(self) -> list[SectionView]:
        views = []
        for part, formset in self.formsets.items():
            rows, number = [], 0
            for index, form in enumerate(formset.forms):
                removed = _is_removed(form)
                if not removed:
                    number += 1
                rows.append(
                    build_row(part=part, form=form, index=index, number=number, variant=self.variant, removed=removed)
                )
            shown = not self.is_simplified or part == "items"
            views.append(SectionView(part, PART_TITLES[part], shown, formset, rows, self.part_errors[part]))
        return views

    # --- input ---

    def is_valid(self) -> bool:
        """Types only: every form parses (required fields are the domain's business)."""
        valid = self.case.is_valid()
        for formset in self.formsets.values():
            if formset.is_bound:  # a part that was not posted is left as it is
                valid = formset.is_valid() and valid
        if self.correction is not None:
            valid = self.correction.is_valid() and valid
        return valid

    def service_input(self) -> dict[str, Any]:
        """``fields`` and one list of rows per part, in the order the services number them."""
        fields = self.case.service_values()
        fields.pop("form_variant", None)
        fields["form_variant"] = self.variant
        result: dict[str, Any] = {"fields": fields}
        for part, formset in self.formsets.items():
            rows = []
            self.sent_forms[part] = []
            if not formset.is_bound:
                result[part] = None  # not posted: the services leave this part as it is
                continue
            for form in formset.forms:
                if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                    continue
                if form in formset.extra_forms and not form.has_changed():
                    continue
                self.sent_forms[part].append(form)
                rows.append(form.service_values())  # type: ignore[attr-defined]
            result[part] = rows
        return result

    @property
    def reason(self) -> str:
        if self.correction is None or not hasattr(self.correction, "cleaned_data"):
            return ""
        return str(self.correction.cleaned_data.get("reason") or "")

    @property
    def free_text_checked(self) -> bool:
        """Whether the corrector ticked "Free text checked: no personal data" for the new version."""
        if self.correction is None or not hasattr(self.correction, "cleaned_data"):
            return False
        return bool(self.correction.cleaned_data.get("free_text_checked"))

    def add_service_errors(self, error: ValidationError) -> None:
        """Put the domain's errors (keyed ``seizure_date``, ``items-0-quantity``, ``route``…) beside their fields."""
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            match = _ROW_KEY.match(key)
            if match and match.group(1) in self.sent_forms:
                part, index, name = match.group(1), int(match.group(2)), match.group(3)
                sent = self.sent_forms[part]
                if index < len(sent):
                    form = sent[index]
                    for text in texts:
                        form.add_error(name if name in form.fields else None, text)
                    continue
                self.part_errors[part].extend(texts)
            elif key in self.part_errors:
                self.part_errors[key].extend(texts)
            elif key in self.case.fields:
                for text in texts:
                    self.case.add_error(key, text)
            elif self.correction is not None and key in self.correction.fields:
                for text in texts:
                    self.correction.add_error(key, text)
            else:
                for text in texts:
                    self.case.add_error(None, text)

    def error_summary(self) -> list[SummaryEntry]:
        """Every error on the page, in page order, each linking to its field."""
        entries: list[SummaryEntry] = []
        if self.correction is not None and self.correction.is_bound:
            entries += _form_summary(self.correction, "")
        if self.case.is_bound:
            entries += _form_summary(self.case, "", section="section-case", visible=self.visible("case"))
        for part, formset in self.formsets.items():
            for text in self.part_errors[part]:
                entries.append(SummaryEntry(f"section-{part}", PART_TITLES[part], text))
            if not formset.is_bound:
                continue
            for error in formset.non_form_errors():
                entries.append(SummaryEntry(f"section-{part}", PART_TITLES[part], str(error)))
            shown = 0
            for form in formset.forms:
                if form.is_bound and form.data.get(form.add_prefix("DELETE")):
                    continue
                shown += 1
                entries += _form_summary(
                    form,
                    f"{PART_LABELS[part]} {shown} \N{EN DASH} ",
                    section=f"section-{part}",
                    visible=self.visible(part),
                )
        return entries

    @property
    def has_errors(self) -> bool:
        return bool(self.error_summary())


def _form_summary(
    form: forms.Form, prefix: str, *, section: str = "", visible: frozenset[str] | None = None
) -> list[SummaryEntry]:
    if not form.is_bound:
        return []
    entries = []
    for text in form.non_field_errors():
        entries.append(SummaryEntry(section or "main", prefix.rstrip(" \N{EN DASH}") or "Form", str(text)))
    for name, field in form.fields.items():
        if name not in form.errors:
            continue
        bound = form[name]
        anchor = bound.id_for_label or f"{bound.auto_id}_0"
        if visible is not None and name not in visible:
            anchor = section or anchor
        for text in form.errors[name]:
            entries.append(SummaryEntry(anchor, f"{prefix}{field.label}", str(text)))
    return entries


# --- layout: which fields each section shows ----------------------------------------------------------

CASE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("The case", ("kind", "national_reference", "seizure_date", "seizure_time")),
    (
        "Where",
        ("country_of_seizure", "customs_office", "place", "latitude", "longitude", "location_type", "direction"),
    ),
    (
        "Transport and detection",
        ("transport_mode", "conveyance_type", "detection_methods", "selection_basis", "modus_operandi"),
    ),
    ("Follow-up", ("number_of_offenders", "legal_follow_up", "operation")),
)


@dataclass
class FieldView:
    field: forms.BoundField
    required: bool


@dataclass
class RowView:
    part: str
    form: forms.Form
    number: int
    index: int
    removed: bool
    fields: list[FieldView]
    hidden: list[forms.BoundField]

    @property
    def label(self) -> str:
        return f"{PART_LABELS[self.part]} {self.number}"

    @property
    def prefix(self) -> str:
        return str(self.form.prefix)


@dataclass
class SectionView:
    part: str
    title: str
    shown: bool
    formset: forms.BaseFormSet
    rows: list[RowView]
    errors: list[str]


def build_row(*, part: str, form: forms.Form, index: int, number: int, variant: str, removed: bool) -> RowView:
    """One formset row laid out for the variant: shown fields, and the others kept as hidden inputs."""
    visible = SIMPLIFIED_FIELDS[part] if variant == FormVariant.SIMPLIFIED else None
    required = set(ROW_REQUIRED[part]) | ({"commodity_type"} if part == "items" and visible is None else set())
    fields, hidden = [], []
    for name in form.fields:
        bound = form[name]
        if name == "DELETE":
            continue
        if removed or (visible is not None and name not in visible):
            hidden.append(bound)
        else:
            fields.append(FieldView(bound, name in required))
    return RowView(part=part, form=form, number=number, index=index, removed=removed, fields=fields, hidden=hidden)


def _is_removed(form: forms.Form) -> bool:
    return bool(form.is_bound and form.data.get(form.add_prefix("DELETE")))


# --- initial values from a stored report ---------------------------------------------------------------


def _code(term: Any) -> str:
    return getattr(term, "code", "") if term is not None else ""


def _country_code(value: Any) -> str:
    return getattr(value, "code", None) or (str(value) if value else "")


def initial_from_report(report: Report, parties: Sequence[Party] = ()) -> dict[str, Any]:
    """The entry form's initial values for a stored report (vocabularies as codes)."""
    case = {
        "form_variant": report.form_variant,
        "kind": report.kind,
        "national_reference": report.national_reference,
        "seizure_date": report.seizure_date,
        "seizure_time": report.seizure_time,
        "country_of_seizure": _country_code(report.country_of_seizure),
        "customs_office": report.customs_office,
        "place": report.place,
        "latitude": report.latitude,
        "longitude": report.longitude,
        "location_type": _code(report.location_type),
        "direction": _code(report.direction),
        "transport_mode": _code(report.transport_mode),
        "conveyance_type": _code(report.conveyance_type),
        "detection_methods": [term.code for term in report.detection_methods.all()],
        "selection_basis": _code(report.selection_basis),
        "modus_operandi": report.modus_operandi,
        "number_of_offenders": report.number_of_offenders,
        "legal_follow_up": report.legal_follow_up,
        "operation": _code(report.operation),
    }
    items = [
        {
            "commodity_category": _code(item.commodity_category),
            "commodity_type": _code(item.commodity_type),
            "hs_code": _code(item.hs_code),
            "description": item.description,
            "quantity": item.quantity,
            "unit": _code(item.unit),
            "packages_count": item.packages_count,
            "estimated_value": item.estimated_value,
            "currency": _code(item.currency),
            "brand": item.brand,
            "genuineness": item.genuineness,
            "country_of_manufacture": _country_code(item.country_of_manufacture),
            "concealment_method": _code(item.concealment_method),
            "concealment_detail": item.concealment_detail,
            "attributes": json.dumps(item.attributes) if item.attributes else "",
        }
        for item in report.items.all()
    ]
    route = [
        {"role": step.role, "country": _country_code(step.country), "place": step.place, "unlocode": step.unlocode}
        for step in report.route.all()
    ]
    conveyances = [
        {
            "transport_mode": _code(conveyance.transport_mode),
            "conveyance_type": _code(conveyance.conveyance_type),
            "identifier_type": conveyance.identifier_type,
            "identifier": conveyance.identifier,
            "flag_country": _country_code(conveyance.flag_country),
        }
        for conveyance in report.conveyances.all()
    ]
    party_rows = [
        {
            "kind": party.kind,
            "role": party.role,
            "family_name": party.family_name,
            "given_names": party.given_names,
            "birth_date": party.birth_date,
            "nationality": _country_code(party.nationality),
            "sex": party.sex,
            "id_document_type": party.id_document_type,
            "id_document_number": party.id_document_number,
            "id_document_country": _country_code(party.id_document_country),
            "company_name": party.company_name,
            "registration_number": party.registration_number,
            "eori": party.eori,
            "company_country": _country_code(party.company_country),
        }
        for party in parties
    ]
    return {"case": case, "items": items, "route": route, "conveyances": conveyances, "parties": party_rows}


def entry_as_data(entry: ReportEntry) -> QueryDict:
    """What the browser would post for this (unbound) entry: used to show the domain's errors on stored data."""
    data = QueryDict(mutable=True)
    forms_to_dump: list[forms.Form] = [entry.case]
    for formset in entry.formsets.values():
        management = formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[management.add_prefix(name)] = str(management.initial.get(name, 0))
        forms_to_dump += [form for form in formset.forms if form not in formset.extra_forms]
    for form in forms_to_dump:
        for name, field in form.fields.items():
            value = form.get_initial_for_field(field, name)
            key = form.add_prefix(name)
            if isinstance(value, list | tuple):
                data.setlist(key, [str(v) for v in value])
            elif isinstance(field.widget, forms.DateInput) and value:
                data[key] = value.isoformat()
            elif value is not None and value is not False:
                data[key] = str(value)
    return data


# --- workflow and attachments --------------------------------------------------------------------------


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="What needs correcting",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required. The authors see this comment.",
    )


class ApproveForm(forms.Form):
    comment = forms.CharField(label="Comment (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    free_text_checked = free_text_checked_field()


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Reason for withdrawal",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required. Partners that received the report are told it was withdrawn.",
    )


class DuplicateForm(forms.Form):
    of = forms.CharField(
        label="Duplicate of (report UUID)",
        max_length=64,
        required=False,
        help_text="The UUID of the report describing the same seizure, e.g. from the candidates listed.",
    )
    comment = forms.CharField(label="Comment (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_of(self) -> str:
        value = (self.cleaned_data.get("of") or "").strip()
        if not value:
            raise ValidationError("Give the UUID of the original report.")
        return value


# File name extensions and the content types they announce.
_EXTENSION_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".xlsx": XLSX,
    ".docx": DOCX,
}


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="JPEG, PNG, TIFF, PDF, XLSX or DOCX, at most 20 MB.",
        required=False,
    )
    description = forms.CharField(label="Description", max_length=255, required=False)
    contains_personal_data = forms.BooleanField(
        label="Contains personal data (faces, names, documents)", required=False, initial=True
    )
    shareable = forms.BooleanField(label="May be forwarded to partners", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_mb = settings.RILO_ATTACHMENT_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = f"JPEG, PNG, TIFF, PDF, XLSX or DOCX, at most {limit_mb} MB."

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is None:
            raise ValidationError("Choose a file to attach.")
        extension = "." + upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        browser_type = upload.content_type if upload.content_type in ALLOWED_TYPES else None
        announced = _EXTENSION_TYPES.get(extension) or browser_type
        actual = sniff_content_type(upload)
        if announced and actual in ALLOWED_TYPES and actual != announced:
            raise ValidationError(
                f"The file's name says {announced} but its content is {actual}. Rename it or choose the right file."
            )
        return upload
