"""validate_attributes(): commodity-specific attributes checked against the commodity type's schema
(the seeded reference schemas; moved here from the reference app's former validator)."""

from __future__ import annotations

import pytest

from apps.reference.models import CommodityType
from apps.reports.attributes import validate_attributes

pytestmark = pytest.mark.django_db


def check(code: str, data: object) -> dict[str, list[str]]:
    commodity_type = CommodityType.objects.get(code=code)
    return validate_attributes(commodity_type.attributes_schema, data, type_label=commodity_type.label)


def test_valid_attributes_of_the_seeded_schemas_have_no_errors():
    assert check("COCAINE", {"purity_percent": 72.5}) == {}
    assert check("COCAINE", {}) == {}
    assert check("CIGARETTES", {"sticks_count": 10000, "brand_genuineness": "counterfeit"}) == {}
    assert check("IVORY", {"species": "Loxodonta africana", "cites_appendix": "I", "live_or_dead": "dead"}) == {}
    assert check("HANDGUNS", {"calibre": "9 mm", "serial_number_present": False}) == {}
    assert check("BEARER_INSTRUMENTS", {"cash_type": "travellers_cheques"}) == {}


def test_drug_purity_must_lie_between_0_and_100():
    assert check("COCAINE", {"purity_percent": 120}) == {"purity_percent": ["Must be at most 100."]}
    assert check("HEROIN", {"purity_percent": -1}) == {"purity_percent": ["Must be at least 0."]}


def test_a_number_attribute_refuses_text_booleans_and_non_finite_numbers():
    for value in ("high", True, float("nan"), float("inf")):
        assert check("COCAINE", {"purity_percent": value}) == {"purity_percent": ["Must be of type number."]}, value


def test_a_count_must_be_a_whole_number():
    assert check("CIGARETTES", {"sticks_count": 10.5}) == {"sticks_count": ["Must be of type integer."]}
    assert check("CIGARETTES", {"sticks_count": 200.0}) == {}
    assert check("CIGARETTES", {"sticks_count": -3}) == {"sticks_count": ["Must be at least 0."]}


def test_an_enumerated_attribute_lists_the_allowed_values():
    assert check("IVORY", {"cites_appendix": "IV", "live_or_dead": "stuffed"}) == {
        "cites_appendix": ["Must be one of: I, II, III."],
        "live_or_dead": ["Must be one of: live, dead."],
    }


def test_text_and_boolean_attributes_are_checked():
    assert check("HANDGUNS", {"calibre": "9" * 40, "serial_number_present": "yes"}) == {
        "calibre": ["Must be at most 32 characters."],
        "serial_number_present": ["Must be of type boolean."],
    }
    assert check("IVORY", {"species": 42}) == {"species": ["Must be of type string."]}


def test_an_attribute_the_commodity_type_does_not_define_is_refused():
    assert check("COCAINE", {"colour": "white", "purity_percent": 80}) == {"colour": ["Unknown attribute."]}


def test_a_commodity_type_without_attributes_refuses_every_attribute_with_one_message():
    assert check("RAW_TOBACCO", {}) == {}
    assert check("RAW_TOBACCO", {"sticks_count": 1}) == {
        "__all__": ["The commodity type “Raw tobacco” defines no attributes: leave them empty."]
    }
    assert validate_attributes(None, {"sticks_count": 1}) == {
        "__all__": ["Choose the commodity type: attributes are recorded only for a type that defines them."]
    }


def test_attributes_that_are_not_an_object_are_refused_as_a_whole():
    assert check("COCAINE", [72]) == {"__all__": ["Attributes must be an object of name/value pairs."]}
