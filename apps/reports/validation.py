"""Cleaning and validation of report input shared by forms, uploads and the API (through the services).

Input is a mapping of model field names; which names a part takes, and how each value is cleaned (its input
kind), is read from the field catalogue (:mod:`apps.reports.catalogue`); the rules between fields are here.
Vocabulary values may be model instances (from forms) or strings: a code, or an English label,
case-insensitively (uploads, API). Unknown codes are refused. Errors are collected by structured path
(``("seizure_date",)``, ``("items", 0, "quantity")``) and raised all at once as one
:class:`apps.reports.errors.ReportValidationError`, whose ``message_dict`` keeps the formset-style keys
(``items-0-quantity``, ``route-1-country``) forms show beside each field; see :mod:`apps.reports.errors`
for the conversions of a path to the keys of forms, the API and inbound messages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.db import models
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from apps.core.caches import process_cache_register
from apps.core.numbers import NumberError, parse_decimal, parse_integer
from apps.reference.models import CommodityType, HSCode, Unit

from . import catalogue
from .attributes import has_schema, validate_attributes
from .catalogue import Field
from .choices import FormVariant, PartyKind, ReportKind
from .errors import Errors, Path, ReportValidationError
from .models import Operation

__all__ = [
    "REQUIRED_FOR_SUBMISSION",
    "Errors",
    "ReportValidationError",
    "check_complete",
    "clean_conveyance",
    "clean_item",
    "clean_parts",
    "clean_party",
    "clean_report_fields",
    "clean_route_step",
    "normalise_hs_code",
    "normalise_identifier",
]

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


def normalise_identifier(value: str) -> str:
    """Conveyance identifiers compare on letters and digits only ("ab-123 cd" == "AB123CD", "MSCU 123456-5")."""
    return re.sub(r"[^0-9A-Za-z]", "", value or "").upper()


def normalise_hs_code(value: str) -> str:
    return re.sub(r"[\s.]", "", value or "")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# The most of a value a message quotes: a cell may hold tens of thousands of characters, and a file thousands of
# faulty cells; the message names the cell, so its first characters are enough to recognise it.
QUOTED_LENGTH = 60


def shortened(text: str, limit: int = QUOTED_LENGTH) -> str:
    """``text`` if it has at most ``limit`` characters, else its first ones and an ellipsis (``limit`` in all)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(value: Any) -> str:
    """``value`` as a message quotes it: its ``repr`` (a string in quotes), of a string :func:`shortened` first."""
    return repr(shortened(value)) if isinstance(value, str) else shortened(repr(value))


# A code the vocabulary does not know, or no longer uses (the uploads' checker recognises these two messages).
UNKNOWN_CODE = _("Unknown code: %(value)s.")
RETIRED_CODE = _("The code %(value)s is no longer in use.")


def says_unknown_code(message: str) -> bool:
    """Whether ``message`` is :data:`UNKNOWN_CODE` or :data:`RETIRED_CODE` in the active language."""
    return any(
        re.fullmatch(re.escape(str(template)).replace(re.escape("%(value)s"), ".*"), message, re.DOTALL)
        for template in (UNKNOWN_CODE, RETIRED_CODE)
    )


def _vocabulary(errors: Errors, key: Path, model: type[models.Model], value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, model):
        return value
    if isinstance(value, str):
        term = model.objects.resolve(value)  # type: ignore[attr-defined]
        if term is None:
            errors.add(key, UNKNOWN_CODE % {"value": quoted(value)})
        elif not term.active:
            errors.add(key, RETIRED_CODE % {"value": quoted(value)})
            return None
        return term
    errors.add(key, UNKNOWN_CODE % {"value": quoted(value)})
    return None


def _hs_code(errors: Errors, key: Path, value: Any) -> HSCode | None:
    if _blank(value):
        return None
    if isinstance(value, HSCode):
        return value
    code = normalise_hs_code(str(value))
    if not _HS.match(code):
        errors.add(key, _("An HS code has 2, 4 or 6 digits."))
        return None
    term = HSCode.objects.filter(code=code).first()
    if term is None:
        errors.add(key, _("Unknown HS code: %(code)s.") % {"code": code})
    return term


@cache
def _country_codes() -> frozenset[str]:
    """The country codes (the same in every language; the names are looked up only for what is no code)."""
    return frozenset(code for code, _name in countries)


process_cache_register("reports.validation.country_codes", _country_codes.cache_clear)


def _country(errors: Errors, key: Path, value: Any) -> str:
    if _blank(value):
        return ""
    code = str(getattr(value, "code", value)).strip().upper()
    if code not in _country_codes():
        by_name = countries.by_name(str(value))
        if by_name:
            return by_name
        errors.add(key, _("Unknown country: %(value)s.") % {"value": quoted(value)})
        return ""
    return code


def _choice(
    errors: Errors, key: Path, value: Any, choices: type[models.TextChoices], default: str, *, language: str
) -> str:
    """A choice by its value or its label in ``language`` (the active one, read once per row by the caller)."""
    if _blank(value):
        return default
    found = _choice_values(choices, language).get(str(value).strip().lower())
    if found is None:
        errors.add(key, _("Not a valid choice: %(value)s.") % {"value": quoted(value)})
        return default
    return found


@cache
def _choice_values(choices: type[models.TextChoices], language: str) -> dict[str, str]:
    """Each choice by its value and by its label in ``language``, lowercase (the first choice that has it)."""
    with translation.override(language or None):
        found: dict[str, str] = {}
        for choice_value, label in choices.choices:
            found.setdefault(str(choice_value).lower(), str(choice_value))
            found.setdefault(str(label).lower(), str(choice_value))
    return found


process_cache_register("reports.validation.choice_values", _choice_values.cache_clear)


def _decimal(errors: Errors, key: Path, value: Any) -> Decimal | None:
    if _blank(value):
        return None
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number = Decimal(str(value))  # a JSON number: no separators to read
        else:
            number = parse_decimal(str(value))
    except NumberError as error:
        errors.add(key, error.message)
        return None
    except InvalidOperation:
        errors.add(key, _("Enter a number."))
        return None
    if not number.is_finite():
        errors.add(key, _("Enter a number."))
        return None
    return number


def _integer(errors: Errors, key: Path, value: Any) -> int | None:
    if _blank(value):
        return None
    try:
        number = value if isinstance(value, int) and not isinstance(value, bool) else parse_integer(str(value))
    except NumberError as error:
        errors.add(key, error.message)
        return None
    if number < 0:
        errors.add(key, _("Must not be negative."))
        return None
    return number


def _date(errors: Errors, key: Path, value: Any) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(key, _("Enter a date as YYYY-MM-DD."))
        return None


def _time(errors: Errors, key: Path, value: Any) -> dt.time | None:
    if _blank(value):
        return None
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(key, _("Enter a time as HH:MM."))
        return None


def _text(value: Any, limit: int | None = None) -> str:
    text = "" if value is None else str(value).strip()
    return text[:limit] if limit else text


def unknown_operation(value: Any) -> str:
    """What a joint operation's code that names none (or none the report may be attached to) is told."""
    return str(_("Unknown operation: %(value)s.") % {"value": quoted(value)})


def _operation(errors: Errors, key: Path, value: Any) -> Operation | None:
    if _blank(value):
        return None
    if isinstance(value, Operation):
        return value
    operation = Operation.objects.filter(code__iexact=str(value).strip()).first()
    if operation is None:
        errors.add(key, unknown_operation(value))
    return operation


def _terms(errors: Errors, key: Path, model: type[models.Model], values: Any) -> list[Any]:
    terms = (_vocabulary(errors, key, model, value) for value in values or ())
    return [term for term in terms if term is not None]


# Free text whose form is a code: normalised, and checked by the part's rules rather than cut to length.
_NORMALISED_TEXT: dict[tuple[str, str], Callable[[str], str]] = {
    ("report", "national_reference"): lambda text: text,
    ("route", "unlocode"): lambda text: text.upper().replace(" ", ""),
    ("conveyance", "identifier"): lambda text: normalise_identifier(text),
    ("party", "eori"): lambda text: text.upper().replace(" ", ""),
}


def _default(spec: Field) -> Any:
    """What a blank choice becomes: the model field's default, else empty."""
    return _model_default(spec.part, spec.name)


@cache
def _model_default(part: str, name: str) -> Any:
    default = getattr(catalogue.part(part).model._meta.get_field(name), "default", NOT_PROVIDED)
    return "" if default is NOT_PROVIDED else default


process_cache_register("reports.validation.defaults", _model_default.cache_clear)


_CLEANERS: dict[str, Callable[[Errors, Path, Any], Any]] = {
    "date": _date,
    "time": _time,
    "decimal": _decimal,
    "integer": _integer,
    "country": _country,
    "hs_code": _hs_code,
    "operation": _operation,
}


@cache
def _allowed(part: str) -> frozenset[str]:
    return frozenset(catalogue.names(part))


process_cache_register("reports.validation.allowed", _allowed.cache_clear)


# One field's cleaner: (errors, path, value, language) -> the value cleaned.
Cleaner = Callable[[Errors, Path, Any, str], Any]


def _cleaner(spec: Field) -> Cleaner:
    """How one field's value is cleaned, as its input kind says (the catalogue's ``kind``): ``None`` or "" when
    blank; a choice's label read in the language given. Chosen once per field (:func:`_cleaners`), not per value."""
    kind = spec.kind
    if kind in ("text", "longtext"):
        normalise = _NORMALISED_TEXT.get((spec.part, spec.name))
        if normalise is not None:
            return lambda errors, key, value, language: normalise(_text(value))
        limit = spec.max_length
        return lambda errors, key, value, language: _text(value, limit)
    if kind == "choice":
        choices = spec.choices
        assert choices is not None  # noqa: S101 (the catalogue declares them; tested)
        default = _default(spec)
        return lambda errors, key, value, language: _choice(errors, key, value, choices, default, language=language)
    if kind in ("term", "terms"):
        model = spec.vocabulary
        assert model is not None  # noqa: S101 (the catalogue declares it; tested)
        if kind == "terms":
            return lambda errors, key, value, language: _terms(errors, key, model, value)
        return lambda errors, key, value, language: _vocabulary(errors, key, model, value)
    clean = _CLEANERS.get(kind)
    if clean is not None:
        return lambda errors, key, value, language: clean(errors, key, value)
    return lambda errors, key, value, language: value  # "attributes": checked by the item's rules


@cache
def _cleaners(part: str) -> tuple[tuple[str, Cleaner], ...]:
    """The part's input fields, each with its cleaner, in the catalogue's order."""
    return tuple((spec.name, _cleaner(spec)) for spec in catalogue.fields(part))


process_cache_register("reports.validation.cleaners", _cleaners.cache_clear)


def _clean_given(
    errors: Errors, part: str, data: Mapping[str, Any], at: Callable[[str], Path], *, whole: bool
) -> dict[str, Any]:
    """The part's input fields cleaned by kind: every field of a ``whole`` row (absent ones as blank), else only
    those given; unknown keys refused (:func:`_require` then reports a required field left blank)."""
    if not data.keys() <= _allowed(part):
        for name in sorted(set(data) - _allowed(part)):
            errors.add(at(name), _("This field cannot be set."))
    language = errors.language
    get = data.get
    if whole:
        return {name: clean(errors, at(name), get(name), language) for name, clean in _cleaners(part)}
    return {name: clean(errors, at(name), get(name), language) for name, clean in _cleaners(part) if name in data}


@cache
def _required(part: str) -> tuple[str, ...]:
    return tuple(spec.name for spec in catalogue.fields(part) if spec.required)


process_cache_register("reports.validation.required", _required.cache_clear)


def _require(errors: Errors, part: str, cleaned: Mapping[str, Any], at: Callable[[str], Path]) -> None:
    for name in _required(part):
        if name in cleaned and _blank(cleaned[name]) and at(name) not in errors:
            errors.add(at(name), _("This field is required."))


def _row(part: str, index: int) -> Callable[[str], Path]:
    """The paths of the fields of row ``index`` of ``part`` (by the part's wire key, e.g. ``items``)."""
    wire_key = catalogue.part(part).wire_key
    return lambda name: (wire_key, index, name)


def _report_path(name: str) -> Path:
    return (name,)


def clean_report_fields(data: Mapping[str, Any], *, errors: Errors, today: dt.date | None = None) -> dict[str, Any]:
    """Report-level fields: types, codes, dates and coordinates; returns values ready for the model."""
    today = today or timezone.localdate()
    cleaned = _clean_given(errors, "report", data, _report_path, whole=False)
    reference = cleaned.get("national_reference")
    if reference and len(reference) > catalogue.field("report", "national_reference").max_length:  # type: ignore[operator]
        errors.add("national_reference", _("At most 64 characters."))
    _require(errors, "report", cleaned, _report_path)
    seizure_date = cleaned.get("seizure_date")
    if seizure_date and seizure_date > today:
        errors.add("seizure_date", _("The seizure date cannot be in the future."))
    elif seizure_date and seizure_date < EARLIEST_SEIZURE_DATE:
        errors.add("seizure_date", _("The seizure date cannot be before 1990-01-01."))
    for name, bound in (("latitude", 90), ("longitude", 180)):
        if name in cleaned:
            value = cleaned[name]
            if value is not None and not -bound <= value <= bound:
                errors.add(name, _("Must be between -%(bound)s and %(bound)s.") % {"bound": bound})
            cleaned[name] = value.quantize(Decimal("0.000001")) if value is not None else None
    if ("latitude" in cleaned or "longitude" in cleaned) and (
        (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None)
    ):
        errors.add("longitude" if cleaned.get("longitude") is None else "latitude", _("Give both coordinates or none."))
    return cleaned


def clean_item(data: Mapping[str, Any], *, index: int, errors: Errors) -> dict[str, Any]:
    """One item: codes resolved, quantity positive and believable, attributes valid for the commodity type."""
    at = _row("item", index)
    cleaned = _clean_given(errors, "item", data, at, whole=True)
    cleaned["position"] = index + 1
    category, commodity_type, unit = cleaned["commodity_category"], cleaned["commodity_type"], cleaned["unit"]
    if category is None and commodity_type is not None:
        category = cleaned["commodity_category"] = commodity_type.category
    if commodity_type is not None and category is not None and commodity_type.category_id != category.pk:
        errors.add(at("commodity_type"), _("This commodity type is not in the chosen category."))
    if unit is None and commodity_type is not None and commodity_type.default_unit_id and _blank(data.get("unit")):
        unit = cleaned["unit"] = commodity_type.default_unit
    _require(errors, "item", cleaned, at)

    quantity = cleaned["quantity"]
    cleaned["normalised_quantity"], cleaned["normalised_dimension"] = None, ""
    if quantity is not None and quantity <= 0:
        errors.add(at("quantity"), _("The quantity must be greater than zero."))
    elif quantity is not None and unit is not None:
        normalised = unit.normalise(quantity)
        dimension = unit.dimension if normalised is not None else Unit.Dimension.OTHER
        if (normalised if normalised is not None else quantity) > ABSURD_QUANTITY[dimension]:
            message = _("This quantity is not believable in %(code)s; check the unit.") % {"code": unit.code}
            errors.add(at("quantity"), message)
        elif quantity.as_tuple().exponent < -3:
            errors.add(at("quantity"), _("At most 3 decimal places."))
        else:
            cleaned["normalised_quantity"] = (
                normalised.quantize(Decimal("0.000001")) if normalised is not None else None
            )
            cleaned["normalised_dimension"] = unit.dimension if normalised is not None else ""

    value = cleaned["estimated_value"]
    if value is not None and value < 0:
        errors.add(at("estimated_value"), _("Must not be negative."))
    if value is not None and cleaned["currency"] is None and at("currency") not in errors:
        errors.add(at("currency"), _("Give the currency of the estimated value."))
    cleaned["estimated_value"] = value.quantize(Decimal("0.01")) if value is not None else None
    cleaned["attributes"] = _attributes(errors, at("attributes"), cleaned["attributes"], commodity_type)
    return cleaned


def _attributes(errors: Errors, key: Path, attributes: Any, commodity_type: CommodityType | None) -> dict[str, Any]:
    attributes = attributes or {}
    schema = commodity_type.attributes_schema if commodity_type is not None else None
    # The type's label (read in the active language) only for the message that names it: attributes given for a
    # type that defines none.
    label = None
    if commodity_type is not None and attributes and not has_schema(schema):
        label = commodity_type.localized_label
    problems = validate_attributes(schema, attributes, type_label=label)
    for name, messages in problems.items():
        for message in messages:
            errors.add(key, message if name == "__all__" else f"{name}: {message}")
    return attributes if isinstance(attributes, dict) else {}


def clean_route_step(data: Mapping[str, Any], *, index: int, errors: Errors) -> dict[str, Any]:
    at = _row("route", index)
    cleaned = {"sequence": index + 1, **_clean_given(errors, "route", data, at, whole=True)}
    _require(errors, "route", cleaned, at)
    if cleaned["unlocode"] and not _UNLOCODE.match(cleaned["unlocode"]):
        errors.add(at("unlocode"), _("A UN/LOCODE has 5 characters, e.g. FRLEH."))
    return cleaned


def clean_conveyance(data: Mapping[str, Any], *, index: int, errors: Errors) -> dict[str, Any]:
    at = _row("conveyance", index)
    cleaned = _clean_given(errors, "conveyance", data, at, whole=True)
    identifier = cleaned["identifier"]
    if identifier and not cleaned["identifier_type"] and at("identifier_type") not in errors:
        errors.add(at("identifier_type"), _("Say what kind of identifier this is."))
    if len(identifier) > catalogue.field("conveyance", "identifier").max_length:  # type: ignore[operator]
        errors.add(at("identifier"), _("At most 64 characters."))
    return cleaned


def clean_party(data: Mapping[str, Any], *, index: int, errors: Errors, today: dt.date | None = None) -> dict[str, Any]:
    at = _row("party", index)
    today = today or timezone.localdate()
    cleaned = {"position": index + 1, **_clean_given(errors, "party", data, at, whole=True)}
    kind, birth_date = cleaned["kind"], cleaned["birth_date"]
    if birth_date and not EARLIEST_BIRTH_DATE <= birth_date <= today:
        errors.add(at("birth_date"), _("Enter a birth date between 1900 and today."))
    if kind == PartyKind.PERSON and not (cleaned["family_name"] or cleaned["given_names"]):
        errors.add(at("family_name"), _("Give the person's name."))
    if kind == PartyKind.COMPANY and not cleaned["company_name"]:
        errors.add(at("company_name"), _("Give the company's name."))
    if cleaned["eori"] and not _EORI.match(cleaned["eori"]):
        errors.add(at("eori"), _("An EORI number is a country code and up to 15 letters or digits."))
    if cleaned["id_document_number"] and not cleaned["id_document_type"]:
        errors.add(at("id_document_type"), _("Say what kind of document this is."))
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
            errors.add(name, _("This field is required before submission."))
    if report_values.get("kind") != ReportKind.OFFENCE and not items:
        errors.add("items", _("A seizure report needs at least one item."))
    if variant == FormVariant.FULL:
        for index, item in enumerate(items):
            if _get(item, "commodity_type") is None:
                errors.add(_row("item", index)("commodity_type"), _("This field is required before submission."))
        if not route:
            errors.add("route", _("Give at least one country of the route."))


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)
