"""Cleaning and validation of report input shared by forms, uploads and the API (through the services).

Input is a mapping of model field names. Vocabulary values may be model instances (from forms) or
strings: a code, or an English label, case-insensitively (uploads, API). Unknown codes are refused.
Errors are raised as one ``django.core.exceptions.ValidationError`` keyed by field name; the
parts of a report use formset-style keys (``items-0-quantity``, ``route-1-country``,
``conveyances-0-identifier``, ``parties-0-family_name``) so forms can show them beside each field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_countries import countries

from apps.reference.models import (
    CommodityCategory,
    CommodityType,
    ConcealmentMethod,
    ConveyanceType,
    Currency,
    DetectionMethod,
    Direction,
    HSCode,
    LocationType,
    SelectionBasis,
    TransportMode,
    Unit,
)

from .attributes import validate_attributes
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
from .models import Operation

EARLIEST_SEIZURE_DATE = dt.date(1990, 1, 1)
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)

# Largest believable quantity per normalised dimension; anything above is a typing error.
ABSURD_QUANTITY: dict[str, Decimal] = {
    Unit.Dimension.MASS: Decimal("100000000"),  # 100,000 tonnes (kg)
    Unit.Dimension.VOLUME: Decimal("100000000"),  # 100 million litres
    Unit.Dimension.COUNT: Decimal("1000000000"),  # a billion pieces
    Unit.Dimension.STICKS: Decimal("10000000000"),  # ten billion sticks
    Unit.Dimension.OTHER: Decimal("1000000000"),
}

REPORT_INPUT_FIELDS = frozenset(
    {
        "kind",
        "form_variant",
        "national_reference",
        "seizure_date",
        "seizure_time",
        "country_of_seizure",
        "customs_office",
        "place",
        "latitude",
        "longitude",
        "location_type",
        "direction",
        "transport_mode",
        "conveyance_type",
        "detection_methods",
        "selection_basis",
        "modus_operandi",
        "number_of_offenders",
        "legal_follow_up",
        "operation",
    }
)
ITEM_INPUT_FIELDS = frozenset(
    {
        "commodity_category",
        "commodity_type",
        "hs_code",
        "description",
        "quantity",
        "unit",
        "packages_count",
        "estimated_value",
        "currency",
        "brand",
        "genuineness",
        "country_of_manufacture",
        "concealment_method",
        "concealment_detail",
        "attributes",
    }
)
ROUTE_INPUT_FIELDS = frozenset({"role", "country", "place", "unlocode"})
CONVEYANCE_INPUT_FIELDS = frozenset(
    {"transport_mode", "conveyance_type", "identifier_type", "identifier", "flag_country"}
)
PARTY_INPUT_FIELDS = frozenset(
    {
        "kind",
        "role",
        "family_name",
        "given_names",
        "birth_date",
        "nationality",
        "sex",
        "id_document_type",
        "id_document_number",
        "id_document_country",
        "company_name",
        "registration_number",
        "eori",
        "company_country",
    }
)

# Required at submission, per form variant (drafts may be incomplete). The UI marks these fields.
REQUIRED_FOR_SUBMISSION: dict[str, tuple[str, ...]] = {
    # The WCO's minimal data set: when, where, how it was found and moved (items carry what and how much).
    FormVariant.SIMPLIFIED: (
        "national_reference",
        "seizure_date",
        "country_of_seizure",
        "transport_mode",
        "detection_methods",
    ),
    FormVariant.FULL: (
        "national_reference",
        "seizure_date",
        "country_of_seizure",
        "place",
        "location_type",
        "direction",
        "transport_mode",
        "detection_methods",
    ),
}

_UNLOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
_EORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
_HS = re.compile(r"^\d{2}(\d{2}){0,2}$")

_VOCABULARIES: dict[str, type[models.Model]] = {
    "location_type": LocationType,
    "direction": Direction,
    "transport_mode": TransportMode,
    "conveyance_type": ConveyanceType,
    "selection_basis": SelectionBasis,
    "commodity_category": CommodityCategory,
    "commodity_type": CommodityType,
    "unit": Unit,
    "currency": Currency,
    "concealment_method": ConcealmentMethod,
}


@dataclass
class Errors:
    """Collects messages per field and raises them all at once."""

    messages: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.messages.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            raise ValidationError(self.messages)


def normalise_identifier(value: str) -> str:
    """Conveyance identifiers compare on letters and digits only ("ab-123 cd" == "AB123CD", "MSCU 123456-5")."""
    return re.sub(r"[^0-9A-Za-z]", "", value or "").upper()


def normalise_hs_code(value: str) -> str:
    return re.sub(r"[\s.]", "", value or "")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _vocabulary(errors: Errors, key: str, model: type[models.Model], value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, model):
        return value
    if isinstance(value, str):
        term = model.objects.resolve(value)  # type: ignore[attr-defined]
        if term is None:
            errors.add(key, f"Unknown code: {value!r}.")
        elif not term.active:
            errors.add(key, f"The code {value!r} is no longer in use.")
            return None
        return term
    errors.add(key, f"Unknown code: {value!r}.")
    return None


def _hs_code(errors: Errors, key: str, value: Any) -> HSCode | None:
    if _blank(value):
        return None
    if isinstance(value, HSCode):
        return value
    code = normalise_hs_code(str(value))
    if not _HS.match(code):
        errors.add(key, "An HS code has 2, 4 or 6 digits.")
        return None
    term = HSCode.objects.filter(code=code).first()
    if term is None:
        errors.add(key, f"Unknown HS code: {code}.")
    return term


def _country(errors: Errors, key: str, value: Any, *, required: bool = False) -> str:
    if _blank(value):
        if required:
            errors.add(key, "This field is required.")
        return ""
    code = str(getattr(value, "code", value)).strip().upper()
    if code not in dict(countries):
        by_name = countries.by_name(str(value))
        if by_name:
            return by_name
        errors.add(key, f"Unknown country: {value!r}.")
        return ""
    return code


def _choice(errors: Errors, key: str, value: Any, choices: type[models.TextChoices], default: str = "") -> str:
    if _blank(value):
        return default
    text = str(value).strip()
    for choice_value, label in choices.choices:
        if text.lower() in (str(choice_value).lower(), str(label).lower()):
            return str(choice_value)
    errors.add(key, f"Not a valid choice: {value!r}.")
    return default


def _decimal(errors: Errors, key: str, value: Any) -> Decimal | None:
    if _blank(value):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        errors.add(key, "Enter a number.")
        return None
    if not number.is_finite():
        errors.add(key, "Enter a number.")
        return None
    return number


def _integer(errors: Errors, key: str, value: Any) -> int | None:
    if _blank(value):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(key, "Enter a whole number.")
        return None
    if number < 0:
        errors.add(key, "Must not be negative.")
        return None
    return number


def _date(errors: Errors, key: str, value: Any) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(key, "Enter a date as YYYY-MM-DD.")
        return None


def _time(errors: Errors, key: str, value: Any) -> dt.time | None:
    if _blank(value):
        return None
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(key, "Enter a time as HH:MM.")
        return None


def _text(value: Any, limit: int | None = None) -> str:
    text = "" if value is None else str(value).strip()
    return text[:limit] if limit else text


def _unknown_keys(errors: Errors, prefix: str, data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for name in sorted(set(data) - allowed):
        errors.add(f"{prefix}{name}", "This field cannot be set.")


def clean_report_fields(data: Mapping[str, Any], *, errors: Errors, today: dt.date | None = None) -> dict[str, Any]:
    """Report-level fields: types, codes, dates and coordinates; returns values ready for the model."""
    _unknown_keys(errors, "", data, REPORT_INPUT_FIELDS)
    today = today or timezone.localdate()
    cleaned: dict[str, Any] = {}
    if "kind" in data:
        cleaned["kind"] = _choice(errors, "kind", data["kind"], ReportKind, ReportKind.SEIZURE)
    if "form_variant" in data:
        cleaned["form_variant"] = _choice(errors, "form_variant", data["form_variant"], FormVariant, FormVariant.FULL)
    if "legal_follow_up" in data:
        cleaned["legal_follow_up"] = _choice(
            errors, "legal_follow_up", data["legal_follow_up"], LegalFollowUp, LegalFollowUp.UNKNOWN
        )
    if "national_reference" in data:
        reference = _text(data["national_reference"])
        if not reference:
            errors.add("national_reference", "This field is required.")
        elif len(reference) > 64:
            errors.add("national_reference", "At most 64 characters.")
        cleaned["national_reference"] = reference
    if "seizure_date" in data:
        seizure_date = _date(errors, "seizure_date", data["seizure_date"])
        if seizure_date is None and "seizure_date" not in errors.messages:
            errors.add("seizure_date", "This field is required.")
        elif seizure_date and seizure_date > today:
            errors.add("seizure_date", "The seizure date cannot be in the future.")
        elif seizure_date and seizure_date < EARLIEST_SEIZURE_DATE:
            errors.add("seizure_date", "The seizure date cannot be before 1990-01-01.")
        cleaned["seizure_date"] = seizure_date
    if "seizure_time" in data:
        cleaned["seizure_time"] = _time(errors, "seizure_time", data["seizure_time"])
    if "country_of_seizure" in data:
        cleaned["country_of_seizure"] = _country(
            errors, "country_of_seizure", data["country_of_seizure"], required=True
        )
    for name, limit in (("customs_office", 160), ("place", 200)):
        if name in data:
            cleaned[name] = _text(data[name], limit)
    if "modus_operandi" in data:
        cleaned["modus_operandi"] = _text(data["modus_operandi"])
    for name, bound in (("latitude", 90), ("longitude", 180)):
        if name in data:
            value = _decimal(errors, name, data[name])
            if value is not None and not -bound <= value <= bound:
                errors.add(name, f"Must be between -{bound} and {bound}.")
            cleaned[name] = value.quantize(Decimal("0.000001")) if value is not None else None
    if ("latitude" in cleaned or "longitude" in cleaned) and (
        (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None)
    ):
        errors.add("longitude" if cleaned.get("longitude") is None else "latitude", "Give both coordinates or none.")
    for name in ("location_type", "direction", "transport_mode", "conveyance_type", "selection_basis"):
        if name in data:
            cleaned[name] = _vocabulary(errors, name, _VOCABULARIES[name], data[name])
    if "detection_methods" in data:
        methods = []
        for value in data["detection_methods"] or ():
            term = _vocabulary(errors, "detection_methods", DetectionMethod, value)
            if term is not None:
                methods.append(term)
        cleaned["detection_methods"] = methods
    if "number_of_offenders" in data:
        cleaned["number_of_offenders"] = _integer(errors, "number_of_offenders", data["number_of_offenders"])
    if "operation" in data:
        value = data["operation"]
        if _blank(value):
            cleaned["operation"] = None
        elif isinstance(value, Operation):
            cleaned["operation"] = value
        else:
            cleaned["operation"] = Operation.objects.filter(code__iexact=str(value).strip()).first()
            if cleaned["operation"] is None:
                errors.add("operation", f"Unknown operation: {value!r}.")
    return cleaned


def clean_item(data: Mapping[str, Any], *, index: int, errors: Errors) -> dict[str, Any]:
    """One item: codes resolved, quantity positive and believable, attributes valid for the commodity type."""
    prefix = f"items-{index}-"
    _unknown_keys(errors, prefix, data, ITEM_INPUT_FIELDS)
    cleaned: dict[str, Any] = {"position": index + 1}
    for name in ("commodity_category", "commodity_type", "unit", "currency", "concealment_method"):
        cleaned[name] = _vocabulary(errors, prefix + name, _VOCABULARIES[name], data.get(name))
    category, commodity_type, unit = cleaned["commodity_category"], cleaned["commodity_type"], cleaned["unit"]
    if category is None and commodity_type is not None:
        category = cleaned["commodity_category"] = commodity_type.category
    if category is None and prefix + "commodity_category" not in errors.messages:
        errors.add(prefix + "commodity_category", "This field is required.")
    if commodity_type is not None and category is not None and commodity_type.category_id != category.pk:
        errors.add(prefix + "commodity_type", "This commodity type is not in the chosen category.")
    if unit is None and commodity_type is not None and commodity_type.default_unit_id and _blank(data.get("unit")):
        unit = cleaned["unit"] = commodity_type.default_unit
    if unit is None and prefix + "unit" not in errors.messages:
        errors.add(prefix + "unit", "This field is required.")
    cleaned["hs_code"] = _hs_code(errors, prefix + "hs_code", data.get("hs_code"))

    quantity = _decimal(errors, prefix + "quantity", data.get("quantity"))
    cleaned["normalised_quantity"], cleaned["normalised_dimension"] = None, ""
    if quantity is None:
        if prefix + "quantity" not in errors.messages:
            errors.add(prefix + "quantity", "This field is required.")
    elif quantity <= 0:
        errors.add(prefix + "quantity", "The quantity must be greater than zero.")
    elif unit is not None:
        normalised = unit.normalise(quantity)
        dimension = unit.dimension if normalised is not None else Unit.Dimension.OTHER
        if (normalised if normalised is not None else quantity) > ABSURD_QUANTITY[dimension]:
            errors.add(prefix + "quantity", f"This quantity is not believable in {unit.code}; check the unit.")
        elif quantity.as_tuple().exponent < -3:  # type: ignore[operator]
            errors.add(prefix + "quantity", "At most 3 decimal places.")
        else:
            cleaned["normalised_quantity"] = (
                normalised.quantize(Decimal("0.000001")) if normalised is not None else None
            )
            cleaned["normalised_dimension"] = unit.dimension if normalised is not None else ""
    cleaned["quantity"] = quantity

    cleaned["packages_count"] = _integer(errors, prefix + "packages_count", data.get("packages_count"))
    value = _decimal(errors, prefix + "estimated_value", data.get("estimated_value"))
    if value is not None and value < 0:
        errors.add(prefix + "estimated_value", "Must not be negative.")
    if value is not None and cleaned["currency"] is None and prefix + "currency" not in errors.messages:
        errors.add(prefix + "currency", "Give the currency of the estimated value.")
    cleaned["estimated_value"] = value.quantize(Decimal("0.01")) if value is not None else None
    cleaned["description"] = _text(data.get("description"))
    cleaned["brand"] = _text(data.get("brand"), 120)
    cleaned["genuineness"] = _choice(
        errors, prefix + "genuineness", data.get("genuineness"), Genuineness, Genuineness.UNKNOWN
    )
    cleaned["country_of_manufacture"] = _country(
        errors, prefix + "country_of_manufacture", data.get("country_of_manufacture")
    )
    cleaned["concealment_detail"] = _text(data.get("concealment_detail"))
    attributes = data.get("attributes") or {}
    schema = commodity_type.attributes_schema if commodity_type is not None else None
    problems = validate_attributes(
        schema, attributes, type_label=commodity_type.label if commodity_type is not None else None
    )
    for name, messages in problems.items():
        for message in messages:
            errors.add(prefix + "attributes", message if name == "__all__" else f"{name}: {message}")
    cleaned["attributes"] = attributes if isinstance(attributes, dict) else {}
    return cleaned


def clean_route_step(data: Mapping[str, Any], *, index: int, errors: Errors) -> dict[str, Any]:
    prefix = f"route-{index}-"
    _unknown_keys(errors, prefix, data, ROUTE_INPUT_FIELDS)
    role = _choice(errors, prefix + "role", data.get("role"), RouteRole)
    if not role and prefix + "role" not in errors.messages:
        errors.add(prefix + "role", "This field is required.")
    unlocode = _text(data.get("unlocode")).upper().replace(" ", "")
    if unlocode and not _UNLOCODE.match(unlocode):
        errors.add(prefix + "unlocode", "A UN/LOCODE has 5 characters, e.g. FRLEH.")
    return {
        "sequence": index + 1,
        "role": role,
        "country": _country(errors, prefix + "country", data.get("country"), required=True),
        "place": _text(data.get("place"), 120),
        "unlocode": unlocode,
    }


def clean_conveyance(data: Mapping[str, Any], *, index: int, errors: Errors) -> dict[str, Any]:
    prefix = f"conveyances-{index}-"
    _unknown_keys(errors, prefix, data, CONVEYANCE_INPUT_FIELDS)
    identifier = normalise_identifier(_text(data.get("identifier")))
    identifier_type = _choice(errors, prefix + "identifier_type", data.get("identifier_type"), IdentifierType)
    if identifier and not identifier_type and prefix + "identifier_type" not in errors.messages:
        errors.add(prefix + "identifier_type", "Say what kind of identifier this is.")
    if len(identifier) > 64:
        errors.add(prefix + "identifier", "At most 64 characters.")
    return {
        "transport_mode": _vocabulary(errors, prefix + "transport_mode", TransportMode, data.get("transport_mode")),
        "conveyance_type": _vocabulary(errors, prefix + "conveyance_type", ConveyanceType, data.get("conveyance_type")),
        "identifier_type": identifier_type,
        "identifier": identifier,
        "flag_country": _country(errors, prefix + "flag_country", data.get("flag_country")),
    }


def clean_party(data: Mapping[str, Any], *, index: int, errors: Errors, today: dt.date | None = None) -> dict[str, Any]:
    prefix = f"parties-{index}-"
    _unknown_keys(errors, prefix, data, PARTY_INPUT_FIELDS)
    today = today or timezone.localdate()
    kind = _choice(errors, prefix + "kind", data.get("kind"), PartyKind, PartyKind.PERSON)
    cleaned: dict[str, Any] = {
        "position": index + 1,
        "kind": kind,
        "role": _choice(errors, prefix + "role", data.get("role"), PartyRole, PartyRole.OFFENDER),
        "family_name": _text(data.get("family_name"), 120),
        "given_names": _text(data.get("given_names"), 120),
        "birth_date": _date(errors, prefix + "birth_date", data.get("birth_date")),
        "nationality": _country(errors, prefix + "nationality", data.get("nationality")),
        "sex": _choice(errors, prefix + "sex", data.get("sex"), Sex),
        "id_document_type": _choice(errors, prefix + "id_document_type", data.get("id_document_type"), IdDocumentType),
        "id_document_number": _text(data.get("id_document_number"), 64),
        "id_document_country": _country(errors, prefix + "id_document_country", data.get("id_document_country")),
        "company_name": _text(data.get("company_name"), 200),
        "registration_number": _text(data.get("registration_number"), 64),
        "eori": _text(data.get("eori")).upper().replace(" ", ""),
        "company_country": _country(errors, prefix + "company_country", data.get("company_country")),
    }
    birth_date = cleaned["birth_date"]
    if birth_date and not EARLIEST_BIRTH_DATE <= birth_date <= today:
        errors.add(prefix + "birth_date", "Enter a birth date between 1900 and today.")
    if kind == PartyKind.PERSON and not (cleaned["family_name"] or cleaned["given_names"]):
        errors.add(prefix + "family_name", "Give the person's name.")
    if kind == PartyKind.COMPANY and not cleaned["company_name"]:
        errors.add(prefix + "company_name", "Give the company's name.")
    if cleaned["eori"] and not _EORI.match(cleaned["eori"]):
        errors.add(prefix + "eori", "An EORI number is a country code and up to 15 letters or digits.")
    if cleaned["id_document_number"] and not cleaned["id_document_type"]:
        errors.add(prefix + "id_document_type", "Say what kind of document this is.")
    return cleaned


def clean_parts(
    rows: Iterable[Mapping[str, Any]] | None, cleaner: Any, *, errors: Errors
) -> list[dict[str, Any]] | None:
    """Clean each row of one part (items, route, ...); ``None`` means "leave the part as it is"."""
    if rows is None:
        return None
    return [cleaner(row, index=index, errors=errors) for index, row in enumerate(rows)]


def check_complete(
    *,
    report_values: Mapping[str, Any],
    detection_methods: Sequence[Any],
    items: Sequence[Any],
    route: Sequence[Any],
    errors: Errors,
) -> None:
    """The form variant's required fields at submission (drafts may be incomplete)."""
    variant = report_values.get("form_variant") or FormVariant.FULL
    for name in REQUIRED_FOR_SUBMISSION[variant]:
        value = detection_methods if name == "detection_methods" else report_values.get(name)
        if _blank(value) or (isinstance(value, list | tuple) and not value):
            errors.add(name, "This field is required before submission.")
    if report_values.get("kind") != ReportKind.OFFENCE and not items:
        errors.add("items", "A seizure report needs at least one item.")
    if variant == FormVariant.FULL:
        for index, item in enumerate(items):
            if _get(item, "commodity_type") is None:
                errors.add(f"items-{index}-commodity_type", "This field is required before submission.")
        if not route:
            errors.add("route", "Give at least one country of the route.")


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)
