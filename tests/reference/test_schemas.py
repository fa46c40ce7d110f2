"""validate_attributes(): commodity-specific attributes checked against the commodity type's schema."""

from __future__ import annotations

import pytest

from apps.reference.models import CommodityType
from apps.reference.schemas import schema_problems, validate_attributes

pytestmark = pytest.mark.django_db


def commodity(code: str) -> CommodityType:
    return CommodityType.objects.get(code=code)


def test_valid_attributes_have_no_errors():
    assert validate_attributes(commodity("COCAINE"), {"purity_percent": 72.5}) == {}
    assert validate_attributes(commodity("COCAINE"), {}) == {}
    assert (
        validate_attributes(commodity("CIGARETTES"), {"sticks_count": 10000, "brand_genuineness": "counterfeit"}) == {}
    )
    assert (
        validate_attributes(
            commodity("IVORY"), {"species": "Loxodonta africana", "cites_appendix": "I", "live_or_dead": "dead"}
        )
        == {}
    )
    assert validate_attributes(commodity("HANDGUNS"), {"calibre": "9 mm", "serial_number_present": False}) == {}
    assert validate_attributes(commodity("BEARER_INSTRUMENTS"), {"cash_type": "travellers_cheques"}) == {}


def test_drug_purity_must_lie_between_0_and_100():
    assert validate_attributes(commodity("COCAINE"), {"purity_percent": 120}) == {
        "purity_percent": ["Purity (%) must be at most 100."]
    }
    assert validate_attributes(commodity("HEROIN"), {"purity_percent": -1}) == {
        "purity_percent": ["Purity (%) must be at least 0."]
    }


def test_a_number_attribute_refuses_text_and_booleans():
    for value in ("high", True, None, float("nan")):
        assert validate_attributes(commodity("COCAINE"), {"purity_percent": value}) == {
            "purity_percent": ["Purity (%) must be a number."]
        }, value


def test_a_count_must_be_a_whole_number():
    assert validate_attributes(commodity("CIGARETTES"), {"sticks_count": 10.5}) == {
        "sticks_count": ["Number of sticks must be a whole number."]
    }
    assert validate_attributes(commodity("CIGARETTES"), {"sticks_count": 200.0}) == {}
    assert validate_attributes(commodity("CIGARETTES"), {"sticks_count": -3}) == {
        "sticks_count": ["Number of sticks must be at least 0."]
    }


def test_an_enumerated_attribute_lists_the_allowed_values():
    assert validate_attributes(commodity("IVORY"), {"cites_appendix": "IV", "live_or_dead": "stuffed"}) == {
        "cites_appendix": ["CITES appendix must be one of: I, II, III."],
        "live_or_dead": ["Live or dead must be one of: live, dead."],
    }


def test_text_and_boolean_attributes_are_checked():
    assert validate_attributes(commodity("HANDGUNS"), {"calibre": "9" * 40, "serial_number_present": "yes"}) == {
        "calibre": ["Calibre must be at most 32 characters long."],
        "serial_number_present": ["Serial number present must be true or false."],
    }
    assert validate_attributes(commodity("IVORY"), {"species": 42}) == {
        "species": ["Species (scientific name) must be text."]
    }


def test_an_attribute_the_commodity_type_does_not_define_is_refused():
    errors = validate_attributes(commodity("COCAINE"), {"colour": "white", "purity_percent": 80})
    assert errors == {"colour": ["“colour” is not an attribute of Cocaine. Allowed attributes: purity_percent."]}


def test_a_commodity_type_without_attributes_refuses_every_attribute():
    assert validate_attributes(commodity("RAW_TOBACCO"), {}) == {}
    assert validate_attributes(commodity("RAW_TOBACCO"), {"sticks_count": 1}) == {
        "sticks_count": ["“sticks_count” is not an attribute of Raw tobacco. Allowed attributes: none."]
    }


def test_attributes_that_are_not_an_object_are_refused_as_a_whole():
    assert validate_attributes(commodity("COCAINE"), [72]) == {
        "__all__": ["The attributes must be a set of named values (a JSON object)."]
    }


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
