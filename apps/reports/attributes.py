"""Validation of an item's commodity-specific ``attributes`` against its commodity type's schema.

A deliberately small subset of JSON Schema: an object schema with ``properties`` (each with
``type``, ``enum``, ``minimum``, ``maximum``, ``maxLength``) and ``required``. Enough for purity,
sticks, species and appendix, calibre, cash type.

Attributes are free text typed by officers and forwarded to partners, so whatever a schema says:
only the attributes it names are accepted (``additionalProperties`` is always false), at most
:data:`MAX_ATTRIBUTES` of them, and no text longer than :data:`MAX_TEXT_LENGTH` characters. A
commodity type without a schema accepts no attribute at all. Forms, the API and reports received
from partners all come through here (``apps.reports.validation.clean_item``).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float, Decimal),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _type_ok(value: Any, expected: str | list[str]) -> bool:
    names = [expected] if isinstance(expected, str) else list(expected)
    for name in names:
        if name == "null" and value is None:
            return True
        kinds = _TYPE_CHECKS.get(name)
        if kinds is None:
            continue
        if isinstance(value, bool) and name in {"integer", "number"}:
            continue  # True is not a number
        if isinstance(value, float) and not math.isfinite(value):
            continue  # NaN and infinities are no quantity (and compare false with every bound)
        if name == "integer" and isinstance(value, float) and value.is_integer():
            return True
        if isinstance(value, kinds):
            return True
    return False


MAX_ATTRIBUTES = 20
MAX_TEXT_LENGTH = 200
_NAME_SHOWN = 40  # an unknown attribute's name is echoed in the message, cut to this length


def _texts(value: Any) -> list[str]:
    """Every string inside ``value`` (lists and objects walked without recursion)."""
    found, pending = [], [value]
    while pending:
        current = pending.pop()
        if isinstance(current, str):
            found.append(current)
        elif isinstance(current, dict):
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return found


def has_schema(schema: Any) -> bool:
    """Whether a commodity type's ``attributes_schema`` defines any attribute (``{}`` or no properties: none)."""
    return isinstance(schema, dict) and isinstance(schema.get("properties"), dict) and bool(schema["properties"])


def validate_attributes(
    schema: dict[str, Any] | None, data: Any, *, type_label: str | None = None
) -> dict[str, list[str]]:
    """Errors per attribute name (``"__all__"`` for the object itself); empty when ``data`` is valid.

    ``type_label`` names the commodity type in the message refusing attributes of a type that defines
    none; without it (no type chosen) the message asks for the type.
    """
    errors: dict[str, list[str]] = {}
    if data in (None, ""):
        data = {}
    if not isinstance(data, dict):
        return {"__all__": [_("Attributes must be an object of name/value pairs.")]}
    if not has_schema(schema):
        if not data:
            return {}
        if type_label is None:
            message = _("Choose the commodity type: attributes are recorded only for a type that defines them.")
        else:
            message = _("The commodity type “%(type)s” defines no attributes: leave them empty.") % {"type": type_label}
        return {"__all__": [message]}
    assert schema is not None  # noqa: S101 (narrowing: has_schema)
    if len(data) > MAX_ATTRIBUTES:
        return {
            "__all__": [
                ngettext("At most %(count)d attribute.", "At most %(count)d attributes.", MAX_ATTRIBUTES)
                % {"count": MAX_ATTRIBUTES}
            ]
        }
    properties: dict[str, Any] = schema["properties"]
    for name in schema.get("required") or []:
        if data.get(name) in (None, ""):
            errors.setdefault(name, []).append(_("This attribute is required."))
    for name in sorted(set(data) - set(properties), key=str):
        shown = name if len(name) <= _NAME_SHOWN else name[:_NAME_SHOWN] + "…"
        errors.setdefault(shown, []).append(_("Unknown attribute."))
    for name, rule in properties.items():
        if name not in data or data[name] is None:
            continue
        value = data[name]
        expected = rule.get("type")
        if expected and not _type_ok(value, expected):
            errors.setdefault(name, []).append(_("Must be of type %(type)s.") % {"type": expected})
            continue
        if "enum" in rule and value not in rule["enum"]:
            allowed = ", ".join(str(v) for v in rule["enum"])
            errors.setdefault(name, []).append(_("Must be one of: %(allowed)s.") % {"allowed": allowed})
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            if "minimum" in rule and value < rule["minimum"]:
                errors.setdefault(name, []).append(_("Must be at least %(bound)s.") % {"bound": rule["minimum"]})
            if "maximum" in rule and value > rule["maximum"]:
                errors.setdefault(name, []).append(_("Must be at most %(bound)s.") % {"bound": rule["maximum"]})
        declared = rule.get("maxLength")
        limit = declared if isinstance(declared, int) and 0 <= declared < MAX_TEXT_LENGTH else MAX_TEXT_LENGTH
        if any(len(text) > limit for text in _texts(value)):
            errors.setdefault(name, []).append(
                ngettext("Must be at most %(count)d character.", "Must be at most %(count)d characters.", limit)
                % {"count": limit}
            )
    return errors
