"""Validation of an item's commodity-specific ``attributes`` against its commodity type's schema.

A deliberately small subset of JSON Schema: an object schema with ``properties`` (each with
``type``, ``enum``, ``minimum``, ``maximum``, ``maxLength``), ``required`` and
``additionalProperties``. Enough for purity, sticks, species and appendix, calibre, cash type.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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
        if name == "integer" and isinstance(value, float) and value.is_integer():
            return True
        if isinstance(value, kinds):
            return True
    return False


def validate_attributes(schema: dict[str, Any] | None, data: Any) -> dict[str, list[str]]:
    """Errors per attribute name (``"__all__"`` for the object itself); empty when ``data`` is valid."""
    errors: dict[str, list[str]] = {}
    schema = schema or {}
    if data in (None, ""):
        data = {}
    if not isinstance(data, dict):
        return {"__all__": ["Attributes must be an object of name/value pairs."]}
    properties: dict[str, Any] = schema.get("properties") or {}
    for name in schema.get("required") or []:
        if data.get(name) in (None, ""):
            errors.setdefault(name, []).append("This attribute is required.")
    if schema.get("additionalProperties", True) is False:
        for name in sorted(set(data) - set(properties)):
            errors.setdefault(name, []).append("Unknown attribute.")
    for name, rule in properties.items():
        if name not in data or data[name] is None:
            continue
        value = data[name]
        expected = rule.get("type")
        if expected and not _type_ok(value, expected):
            errors.setdefault(name, []).append(f"Must be of type {expected}.")
            continue
        if "enum" in rule and value not in rule["enum"]:
            allowed = ", ".join(str(v) for v in rule["enum"])
            errors.setdefault(name, []).append(f"Must be one of: {allowed}.")
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            if "minimum" in rule and value < rule["minimum"]:
                errors.setdefault(name, []).append(f"Must be at least {rule['minimum']}.")
            if "maximum" in rule and value > rule["maximum"]:
                errors.setdefault(name, []).append(f"Must be at most {rule['maximum']}.")
        if isinstance(value, str) and "maxLength" in rule and len(value) > rule["maxLength"]:
            errors.setdefault(name, []).append(f"Must be at most {rule['maxLength']} characters.")
    return errors
