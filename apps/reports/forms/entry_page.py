"""The entry page of one report: the case form and one formset per part, laid out for a form variant.

:class:`ReportEntry` binds the forms of :mod:`.entry`, gives the services their input, puts the domain's
errors back beside the fields they name and lists them in the page's error summary. The layout helpers
(``build_row``, ``FieldView``...) say which fields each section shows; ``initial_from_report`` and
``entry_as_data`` turn a stored report into the form's initial values or into what a browser would post.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.core.actor import Actor

from .. import catalogue
from ..choices import FormVariant
from ..errors import paths_of
from ..models import Party, Report
from ..validation import REQUIRED_FOR_SUBMISSION
from .attributes import field_name
from .entry import FORMSETS, PART_TITLES, PARTS, ROW_REQUIRED, SIMPLIFIED_FIELDS, CaseForm, row_label
from .review import CorrectionForm

# --- the whole entry page ------------------------------------------------------------------------------


@dataclass
class SummaryEntry:
    anchor: str
    label: str
    message: str


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
        user: Actor | None = None,
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
        grouped = {name for _legend, names in CASE_GROUPS for name in names}
        others = tuple(name for name in self.case.fields if name not in grouped and name != "form_variant")
        groups = []
        for legend, names in (*CASE_GROUPS, (_("Other details"), others)):
            shown = [
                FieldView(self.case[name], name in required)
                for name in names
                if name in self.case.fields and (visible is None or name in visible)
            ]
            if shown:
                groups.append((str(legend), shown))
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
            views.append(SectionView(part, str(PART_TITLES[part]), shown, formset, rows, self.part_errors[part]))
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
        """Put the domain's errors beside their fields, by structured path (``("items", 0, "quantity")``...)."""
        for path, texts in paths_of(error).items():
            match path:
                case (str() as part, int() as index, str() as name, *_) if part in self.sent_forms:
                    sent = self.sent_forms[part]
                    if index < len(sent):
                        form = sent[index]
                        for text in texts:
                            form.add_error(name if name in form.fields else None, text)
                    else:
                        self.part_errors[part].extend(texts)
                case (str() as name,) if name in self.part_errors:
                    self.part_errors[name].extend(texts)
                case (str() as name,) if name in self.case.fields:
                    for text in texts:
                        self.case.add_error(name, text)
                case (str() as name,) if self.correction is not None and name in self.correction.fields:
                    for text in texts:
                        self.correction.add_error(name, text)
                case _:
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
                entries.append(SummaryEntry(f"section-{part}", str(PART_TITLES[part]), text))
            if not formset.is_bound:
                continue
            for error in formset.non_form_errors():
                entries.append(SummaryEntry(f"section-{part}", str(PART_TITLES[part]), str(error)))
            shown = 0
            for form in formset.forms:
                if form.is_bound and form.data.get(form.add_prefix("DELETE")):
                    continue
                shown += 1
                entries += _form_summary(
                    form,
                    f"{row_label(part, shown)} \N{EN DASH} ",
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

# The case form's fields in groups, in order; a catalogue field no group names is shown in a last group.
CASE_GROUPS: tuple[tuple[str | Promise, tuple[str, ...]], ...] = (
    (_("The case"), ("kind", "national_reference", "seizure_date", "seizure_time")),
    (
        _("Where"),
        ("country_of_seizure", "customs_office", "place", "latitude", "longitude", "location_type", "direction"),
    ),
    (
        _("Transport and detection"),
        ("transport_mode", "conveyance_type", "detection_methods", "selection_basis", "modus_operandi"),
    ),
    (_("Follow-up"), ("number_of_offenders", "legal_follow_up", "operation")),
)


@dataclass
class FieldView:
    field: forms.BoundField
    required: bool
    unit: str = ""  # shown beside the input (a commodity attribute's unit)


# What a row's notice and buttons say, a whole sentence for each part (%(number)s: the row's number on the page),
# so each language writes its own noun, case and agreement.
_ROW_REMOVED: dict[str, Promise] = {
    "items": _("Item %(number)s will be removed when you save."),
    "route": _("Route step %(number)s will be removed when you save."),
    "conveyances": _("Conveyance %(number)s will be removed when you save."),
    "parties": _("Person or company %(number)s will be removed when you save."),
}
_ROW_KEEP: dict[str, Promise] = {
    "items": _("Keep item %(number)s"),
    "route": _("Keep route step %(number)s"),
    "conveyances": _("Keep conveyance %(number)s"),
    "parties": _("Keep person or company %(number)s"),
}
_ROW_REMOVE: dict[str, Promise] = {
    "items": _("Remove item %(number)s"),
    "route": _("Remove route step %(number)s"),
    "conveyances": _("Remove conveyance %(number)s"),
    "parties": _("Remove person or company %(number)s"),
}


@dataclass
class RowView:
    part: str
    form: forms.Form
    number: int
    index: int
    removed: bool
    fields: list[FieldView]
    hidden: list[forms.BoundField]
    # An item's commodity attribute inputs, and whether the row shows them (the full variant's items).
    attributes: list[FieldView] = dataclasses.field(default_factory=list)
    shows_attributes: bool = False

    @property
    def commodity_type(self) -> Any:
        return getattr(self.form, "commodity_type", None)

    @property
    def label(self) -> str:
        return row_label(self.part, self.number)

    @property
    def removal_notice(self) -> str:
        return str(_ROW_REMOVED[self.part]) % {"number": self.number}

    @property
    def keep_text(self) -> str:
        return str(_ROW_KEEP[self.part]) % {"number": self.number}

    @property
    def remove_text(self) -> str:
        return str(_ROW_REMOVE[self.part]) % {"number": self.number}

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
    units = {field_name(attribute.name): attribute for attribute in getattr(form, "attributes", ())}
    fields, hidden, attributes = [], [], []
    for name in form.fields:
        bound = form[name]
        if name == "DELETE":
            continue
        if removed or (visible is not None and name not in visible and name not in units):
            hidden.append(bound)
        elif name in units:
            if visible is not None:
                hidden.append(bound)
            else:
                attributes.append(FieldView(bound, units[name].required, units[name].unit))
        else:
            fields.append(FieldView(bound, name in required))
    return RowView(
        part=part,
        form=form,
        number=number,
        index=index,
        removed=removed,
        fields=fields,
        hidden=hidden,
        attributes=attributes,
        shows_attributes=part == "items" and visible is None and not removed,
    )


def _is_removed(form: forms.Form) -> bool:
    return bool(form.is_bound and form.data.get(form.add_prefix("DELETE")))


# --- initial values from a stored report ---------------------------------------------------------------


def _initial_value(declared: catalogue.Field, value: Any) -> Any:
    """A stored value as the entry form shows it: vocabulary terms and countries as codes."""
    if declared.kind in ("term", "hs_code", "operation"):
        return getattr(value, "code", "") if value is not None else ""
    if declared.kind == "terms":
        return [term.code for term in value.all()]
    if declared.kind == "country":
        return getattr(value, "code", None) or (str(value) if value else "")
    return value


def _initial_row(part: str, row: Any) -> dict[str, Any]:
    return {declared.name: _initial_value(declared, getattr(row, declared.name)) for declared in catalogue.fields(part)}


def initial_from_report(report: Report, parties: Sequence[Party] = ()) -> dict[str, Any]:
    """The entry form's initial values for a stored report (vocabularies as codes), its fields from the catalogue."""
    return {
        "case": _initial_row("report", report),
        "items": [_initial_row("item", item) for item in report.items.all()],
        "route": [_initial_row("route", step) for step in report.route.all()],
        "conveyances": [_initial_row("conveyance", conveyance) for conveyance in report.conveyances.all()],
        "parties": [_initial_row("party", party) for party in parties],
    }


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
