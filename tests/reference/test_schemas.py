"""schema_problems(): a commodity type's attributes schema keeps to the subset the validator understands
(``apps.reports.attributes.validate_attributes``; its tests are in tests/reports/test_attributes.py)."""

from __future__ import annotations

from apps.reference.schemas import schema_problems


def test_the_schema_subset_refuses_what_the_validator_would_not_check():
    assert schema_problems({}) == []
    assert schema_problems(
        {
            "type": "object",
            "properties": {
                "serial": {"type": "string", "pattern": "^[A-Z]+$"},
                "colour": {"type": "array"},
                "grade": {"type": "string", "enum": [1, 2]},
                "name": {"type": "string", "minimum": 3},
                "count": {"type": "integer", "maxLength": 3},
            },
            "required": ["serial"],
        }
    ) == [
        "Unsupported schema keyword “required”.",
        'The schema must say "additionalProperties": false.',
        "Attribute “serial”: unsupported keyword “pattern”.",
        'Attribute “colour”: its "type" must be one of string, integer, number, boolean.',
        'Attribute “grade”: every "enum" value must be text.',
        'Attribute “name”: "minimum" must be a number, on a numeric attribute.',
        'Attribute “count”: "maxLength" must be a whole number, on a text attribute.',
    ]
    assert schema_problems(["not", "an", "object"]) == ["The schema must be a JSON object."]
    assert schema_problems({"type": "array", "additionalProperties": False}) == [
        'The schema\'s "type" must be "object".'
    ]
