"""The texts of the shipped commodity types' attribute schemas, marked for translation.

A type's ``attributes_schema`` (apps/reference/migrations/0004_commodity_types.py) stores English titles and enum
codes: the forms show them through this mapping, in the user's language. A text an administrator added to a schema
later has no entry here and is shown as it is stored (data, like a term without a translation).
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Titles of the shipped schemas' properties, by the stored title.
TITLES: dict[str, Promise] = {
    "Purity (%)": _("Purity (%)"),
    "Number of tablets": _("Number of tablets"),
    "Logo or imprint": _("Logo or imprint"),
    "Concentration (%)": _("Concentration (%)"),
    "Number of sticks": _("Number of sticks"),
    "Brand genuineness": _("Brand genuineness"),
    "Nicotine (mg/ml)": _("Nicotine (mg/ml)"),
    "Alcoholic strength (% vol)": _("Alcoholic strength (% vol)"),
    "Intellectual property right": _("Intellectual property right"),
    "Active substance": _("Active substance"),
    "Number of dosage units": _("Number of dosage units"),
    "Species (scientific name)": _("Species (scientific name)"),
    "CITES appendix": _("CITES appendix"),
    "Live or dead": _("Live or dead"),
    "Substance (e.g. R-22, HFC-134a)": _("Substance (e.g. R-22, HFC-134a)"),
    "Basel Convention code": _("Basel Convention code"),
    "Calibre": _("Calibre"),
    "Serial number present": _("Serial number present"),
    "Number of rounds": _("Number of rounds"),
    "UN number": _("UN number"),
    "Control list entry (e.g. 5A002)": _("Control list entry (e.g. 5A002)"),
    "Radionuclide (e.g. Cs-137)": _("Radionuclide (e.g. Cs-137)"),
    "CAS number": _("CAS number"),
    "Cash type": _("Cash type"),
    "Period or date": _("Period or date"),
    "Listed in a stolen-objects database": _("Listed in a stolen-objects database"),
}

# The shipped schemas' property names, for a schema that names a shipped property without a title.
PROPERTY_NAMES: dict[str, Promise] = {
    "purity_percent": TITLES["Purity (%)"],
    "concentration_percent": TITLES["Concentration (%)"],
    "sticks_count": TITLES["Number of sticks"],
    "brand_genuineness": TITLES["Brand genuineness"],
}

# Values of the shipped schemas' enums, by the stored code.
ENUM_VALUES: dict[str, Promise] = {
    "genuine": _("Genuine"),
    "counterfeit": _("Counterfeit"),
    "illicit_white": _("Illicit white"),
    "unknown": _("Unknown"),
    "trademark": _("Trademark"),
    "copyright": _("Copyright"),
    "design": _("Design"),
    "patent": _("Patent"),
    "geographical_indication": _("Geographical indication"),
    "other": _("Other"),
    "live": _("Live"),
    "dead": _("Dead"),
    "banknotes": _("Banknotes"),
    "coins": _("Coins"),
    "cheques": _("Cheques"),
    "travellers_cheques": _("Traveller's cheques"),
    "promissory_notes": _("Promissory notes"),
    "money_orders": _("Money orders"),
    "bearer_bonds": _("Bearer bonds"),
    "bearer_shares": _("Bearer shares"),
    "gold": _("Gold"),
    "other_precious_metals": _("Other precious metals"),
    "precious_stones": _("Precious stones"),
    "prepaid_cards": _("Prepaid cards"),
}


def attribute_title(name: str, rule: dict[str, Any]) -> str:
    """The label of the attribute ``name`` (its schema ``rule``) in the active language."""
    title = rule.get("title")
    if isinstance(title, str) and title:
        return str(TITLES.get(title, title))
    if name in PROPERTY_NAMES:
        return str(PROPERTY_NAMES[name])
    return name.replace("_", " ").capitalize()


def enum_value_label(value: str) -> str:
    """The label of an enum code of an attribute in the active language."""
    return str(ENUM_VALUES[value]) if value in ENUM_VALUES else value.replace("_", " ").capitalize()


def attributes_shown(schema: dict[str, Any] | None, attributes: dict[str, Any]) -> list[tuple[str, str]]:
    """An item's attributes as a reader sees them: each property's title and its value (an enum's value by its
    label), in the user's language; numbers and typed text as they are stored."""
    properties = (schema or {}).get("properties", {})
    shown = []
    for name, value in attributes.items():
        rule = properties.get(name, {})
        text = enum_value_label(str(value)) if "enum" in rule else str(value)
        shown.append((attribute_title(name, rule), text))
    return shown
