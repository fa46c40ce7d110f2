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

from django.utils.translation import gettext_lazy as _

_SCHEMA_KEYS = frozenset({"$schema", "type", "properties", "additionalProperties", "title", "description"})
_PROPERTY_KEYS = frozenset({"type", "enum", "minimum", "maximum", "maxLength", "title", "description"})
# Every "enum" value must be of the attribute's type: one whole sentence per type (%(name)s: the attribute).
_ENUM_TYPE_PROBLEMS = {
    "string": _('Attribute “%(name)s”: every "enum" value must be text.'),
    "integer": _('Attribute “%(name)s”: every "enum" value must be a whole number.'),
    "number": _('Attribute “%(name)s”: every "enum" value must be a number.'),
    "boolean": _('Attribute “%(name)s”: every "enum" value must be true or false.'),
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
    """What makes ``schema`` fall outside the supported subset (empty when it is fine), in the active language."""
    if schema == {}:
        return []
    if not isinstance(schema, dict):
        return [str(_("The schema must be a JSON object."))]
    problems = [_("Unsupported schema keyword “%(key)s”.") % {"key": key} for key in sorted(set(schema) - _SCHEMA_KEYS)]
    if schema.get("type") != "object":
        problems.append(str(_('The schema\'s "type" must be "object".')))
    if schema.get("additionalProperties") is not False:
        problems.append(str(_('The schema must say "additionalProperties": false.')))
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        return [*problems, str(_('The schema\'s "properties" must be a JSON object.'))]
    for name, spec in properties.items():
        problems.extend(_property_problems(name, spec))
    return problems


def _property_problems(name: str, spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return [_("Attribute “%(name)s”: its definition must be a JSON object.") % {"name": name}]
    problems = [
        _("Attribute “%(name)s”: unsupported keyword “%(key)s”.") % {"name": name, "key": key}
        for key in sorted(set(spec) - _PROPERTY_KEYS)
    ]
    json_type = spec.get("type")
    if json_type not in _ENUM_TYPE_PROBLEMS:
        message = _('Attribute “%(name)s”: its "type" must be one of string, integer, number, boolean.')
        return [*problems, message % {"name": name}]
    if "enum" in spec:
        enum = spec["enum"]
        if not isinstance(enum, list) or not enum:
            problems.append(_('Attribute “%(name)s”: "enum" must be a non-empty list.') % {"name": name})
        elif not all(_has_type(value, json_type) for value in enum):
            problems.append(_ENUM_TYPE_PROBLEMS[json_type] % {"name": name})
    for bound in ("minimum", "maximum"):
        if bound in spec and (json_type not in ("integer", "number") or not _is_number(spec[bound])):
            problems.append(
                _('Attribute “%(name)s”: "%(bound)s" must be a number, on a numeric attribute.')
                % {"name": name, "bound": bound}
            )
    if "maxLength" in spec and (
        json_type != "string" or not isinstance(spec["maxLength"], int) or isinstance(spec["maxLength"], bool)
    ):
        problems.append(
            _('Attribute “%(name)s”: "maxLength" must be a whole number, on a text attribute.') % {"name": name}
        )
    for annotation in ("title", "description"):
        if annotation in spec and not isinstance(spec[annotation], str):
            problems.append(
                _('Attribute “%(name)s”: "%(annotation)s" must be text.') % {"name": name, "annotation": annotation}
            )
    return problems
