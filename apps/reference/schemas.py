"""Commodity-specific attributes: a small, hand-written JSON Schema (draft 2020-12) subset.

A commodity type's ``attributes_schema`` describes the extra attributes a report item of that
type may carry (drug purity, number of sticks, CITES appendix, calibre...). Only this subset is
supported, and ``schema_problems`` refuses anything else, so a schema an administrator edits can
never say more than the validator (``apps.reports.attributes.validate_attributes``) understands:

- the schema: ``{"type": "object", "properties": {...}, "additionalProperties": false}``, with the
  annotations ``$schema``, ``title`` and ``description``;
- each property: ``type`` (``string``, ``integer``, ``number`` or ``boolean``), and optionally
  ``enum`` (a list of allowed values), ``minimum`` and ``maximum`` (numbers), ``maxLength``
  (strings), ``title`` (the name shown in messages) and ``description``.

Every attribute is optional. An empty schema (``{}``) allows no attribute at all.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

_SCHEMA_KEYS = frozenset({"$schema", "type", "properties", "additionalProperties", "title", "description"})
_PROPERTY_KEYS = frozenset({"type", "enum", "minimum", "maximum", "maxLength", "title", "description"})
_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _has_type(value: Any, json_type: str) -> bool:
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "number":
        return _is_number(value)
    if json_type == "integer":  # JSON Schema: any number with a zero fractional part
        return _is_number(value) and value == int(value)
    return False


def schema_problems(schema: Any) -> list[str]:
    """What makes ``schema`` fall outside the supported subset (empty when it is fine)."""
    if schema == {}:
        return []
    if not isinstance(schema, dict):
        return ["The schema must be a JSON object."]
    problems = [f"Unsupported schema keyword “{key}”." for key in sorted(set(schema) - _SCHEMA_KEYS)]
    if schema.get("type") != "object":
        problems.append('The schema\'s "type" must be "object".')
    if schema.get("additionalProperties") is not False:
        problems.append('The schema must say "additionalProperties": false.')
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        return [*problems, 'The schema\'s "properties" must be a JSON object.']
    for name, spec in properties.items():
        problems.extend(f"Attribute “{name}”: {problem}" for problem in _property_problems(spec))
    return problems


def _property_problems(spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return ["its definition must be a JSON object."]
    problems = [f"unsupported keyword “{key}”." for key in sorted(set(spec) - _PROPERTY_KEYS)]
    json_type = spec.get("type")
    if json_type not in _TYPE_NAMES:
        return [*problems, 'its "type" must be one of string, integer, number, boolean.']
    if "enum" in spec:
        enum = spec["enum"]
        if not isinstance(enum, list) or not enum:
            problems.append('"enum" must be a non-empty list.')
        elif not all(_has_type(value, json_type) for value in enum):
            problems.append(f'every "enum" value must be {_TYPE_NAMES[json_type]}.')
    for bound in ("minimum", "maximum"):
        if bound in spec and (json_type not in ("integer", "number") or not _is_number(spec[bound])):
            problems.append(f'"{bound}" must be a number, on a numeric attribute.')
    if "maxLength" in spec and (
        json_type != "string" or not isinstance(spec["maxLength"], int) or isinstance(spec["maxLength"], bool)
    ):
        problems.append('"maxLength" must be a whole number, on a text attribute.')
    for annotation in ("title", "description"):
        if annotation in spec and not isinstance(spec[annotation], str):
            problems.append(f'"{annotation}" must be text.')
    return problems
