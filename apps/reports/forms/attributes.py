"""An item's commodity-specific attributes as labelled inputs, from its commodity type's schema.

Each property of the type's ``attributes_schema`` (the subset of :mod:`apps.reference.schemas`) becomes
one form field named ``attributes__<name>``:

- ``number``: a number input (``step="any"``) with its unit shown beside it, the unit being what the
  title says in brackets ("Purity (%)": %);
- ``integer``: a number input with ``step="1"``;
- an ``enum``: a select of its values; ``boolean``: a select of yes and no (a blank stays "not said");
- ``string``: a text input with the schema's ``maxLength``.

``minimum``, ``maximum``, ``maxLength`` and ``required`` become the HTML constraints the browser checks;
on the server the values go through the one attribute validator
(:func:`apps.reports.attributes.validate_attributes`) and its messages are put at their inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.forms import AnyLanguageDecimalField, AnyLanguageIntegerField
from apps.reference.attribute_texts import attribute_title, enum_value_label
from apps.reference.models import CommodityType

from ..attributes import MAX_TEXT_LENGTH, has_schema, validate_attributes
from .fields import BLANK

PREFIX = "attributes__"
_UNIT = re.compile(r"\(([^()]{1,20})\)\s*$")  # "Purity (%)" -> "%"
_YES, _NO = "true", "false"


@dataclass(frozen=True)
class AttributeField:
    """One attribute of a commodity type as a form field (``unit`` shown beside a number)."""

    name: str
    field: forms.Field
    unit: str = ""
    required: bool = False


def field_name(attribute: str) -> str:
    return f"{PREFIX}{attribute}"


def is_attribute_field(name: str) -> bool:
    return name.startswith(PREFIX)


def _label(name: str, rule: dict[str, Any]) -> str:
    return attribute_title(name, rule)


def _number_attrs(rule: dict[str, Any], step: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {"step": step, "inputmode": "decimal" if step == "any" else "numeric"}
    for bound, attr in (("minimum", "min"), ("maximum", "max")):
        if bound in rule:
            attrs[attr] = rule[bound]
    return attrs


def _enum_field(rule: dict[str, Any], common: dict[str, Any]) -> forms.Field:
    values = {str(value): value for value in rule["enum"]}
    choices = [BLANK, *((text, enum_value_label(text)) for text in values)]
    return forms.TypedChoiceField(
        choices=choices, coerce=lambda text: values.get(text, text), empty_value=None, **common
    )


def _field(name: str, rule: dict[str, Any], required: bool) -> AttributeField:
    label = _label(name, rule)
    common: dict[str, Any] = {"required": False, "label": label}
    if isinstance(rule.get("description"), str):
        common["help_text"] = rule["description"]
    kind, unit = rule.get("type"), ""
    field: forms.Field
    if "enum" in rule and isinstance(rule["enum"], list):
        field = _enum_field(rule, common)
    elif kind == "boolean":
        field = forms.TypedChoiceField(
            choices=[BLANK, (_YES, _("Yes")), (_NO, _("No"))],
            coerce=lambda text: text == _YES,
            empty_value=None,
            **common,
        )
    elif kind == "integer":
        field = AnyLanguageIntegerField(
            widget=forms.NumberInput(attrs=_number_attrs(rule, "1")), localize=False, **common
        )
    elif kind == "number":
        # A number input keeps the browser's bounds and shows the number as its reader writes them (it holds
        # "12.5"); what else sends "12,5" or "1 234,5" is read by the one parser.
        field = AnyLanguageDecimalField(
            widget=forms.NumberInput(attrs=_number_attrs(rule, "any")), localize=False, **common
        )
        found = _UNIT.search(label)
        unit = found.group(1).strip() if found else ""
    else:
        declared = rule.get("maxLength")
        limit = declared if isinstance(declared, int) and 0 < declared < MAX_TEXT_LENGTH else MAX_TEXT_LENGTH
        field = forms.CharField(max_length=limit, **common)
    if required:
        field.widget.attrs["required"] = True
    return AttributeField(name=name, field=field, unit=unit, required=required)


def attribute_fields(commodity_type: CommodityType | None) -> list[AttributeField]:
    """The inputs of the attributes ``commodity_type``'s schema defines (none without a type or a schema)."""
    if commodity_type is None or not has_schema(commodity_type.attributes_schema):
        return []
    schema: dict[str, Any] = commodity_type.attributes_schema
    required = set(schema.get("required") or [])
    return [
        _field(name, rule, name in required)
        for name, rule in schema["properties"].items()
        if isinstance(name, str) and isinstance(rule, dict)
    ]


def initial_value(field: forms.Field, value: Any) -> Any:
    """A stored attribute value as its input shows it (a yes/no select shows "true" or "false")."""
    if isinstance(value, bool) and isinstance(field, forms.TypedChoiceField):
        return _YES if value else _NO
    return value


def stored_value(value: Any) -> Any:
    """A cleaned input as JSON stores it: a number as an int when whole, else a float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def attribute_errors(commodity_type: CommodityType | None, values: dict[str, Any]) -> dict[str, list[str]]:
    """The attribute validator's errors for ``values`` (keyed by attribute name, ``"__all__"`` for the whole)."""
    schema = commodity_type.attributes_schema if commodity_type is not None else None
    type_label = commodity_type.localized_label if commodity_type is not None else None
    return validate_attributes(schema, values, type_label=type_label)
