"""The upload's columns come from the field catalogue, and headers match by key or label."""

from __future__ import annotations

import pytest
from django.utils import translation

from apps.reports import catalogue
from apps.uploads.columns import (
    CSV_GROUPS,
    REFERENCE,
    csv_columns,
    is_template_sheet,
    match_headers,
    part_for_sheet,
    sheet_columns,
    sheet_parts,
)


def test_every_editable_field_of_every_part_is_a_column_of_the_full_workbook():
    for part in sheet_parts(variant="full"):
        keys = [column.key for column in sheet_columns(part, variant="full")]
        expected = [name for name in catalogue.names(part) if name not in ("form_variant", REFERENCE)]
        assert keys == [REFERENCE, *expected]


def test_the_simplified_workbook_has_the_simplified_form_fields_only():
    assert sheet_parts(variant="simplified") == ("report", "item")
    keys = {column.key for column in sheet_columns("item", variant="simplified")}
    assert keys == {REFERENCE, *catalogue.names("item", simplified=True)}
    assert "brand" not in keys


def test_every_part_sheet_starts_with_the_national_reference():
    for variant in ("simplified", "full"):
        for part in sheet_parts(variant=variant):
            assert sheet_columns(part, variant=variant)[0].key == REFERENCE


def test_the_csv_repeats_report_columns_and_numbers_the_full_variants_other_parts():
    keys = [column.key for column in csv_columns(variant="full")]
    assert keys[: len(catalogue.names("report")) - 1] == [
        REFERENCE,
        *(name for name in catalogue.names("report") if name not in ("form_variant", REFERENCE)),
    ]
    assert "quantity" in keys
    for part, count in CSV_GROUPS.items():
        for number in range(1, count + 1):
            assert [key for key in keys if key.startswith(f"{part}_{number}_")] == [
                f"{part}_{number}_{name}" for name in catalogue.names(part)
            ]
    assert len(keys) == len(set(keys))
    simplified = [column.key for column in csv_columns(variant="simplified")]
    assert not any(key.startswith(("route_", "party_", "conveyance_")) for key in simplified)


def test_an_unknown_variant_is_a_programming_error():
    with pytest.raises(ValueError, match="variant"):
        sheet_columns("item", variant="huge")


def test_headers_match_by_key_or_label_whatever_the_case_and_spacing():
    match = match_headers("item", ["national_reference", "  QUANTITY ", "unit", "Commodity   category", "Colour"])
    assert [column.key if column else None for column in match.columns] == [
        REFERENCE,
        "quantity",
        "unit",
        "commodity_category",
        None,
    ]
    assert match.unknown == ("Colour",)
    assert match.missing == ()


def test_english_labels_match_when_another_language_is_active():
    with translation.override("fr"):
        match = match_headers("item", ["National reference", "Quantity", "Unit", "Commodity category"])
    assert None not in match.columns


def test_missing_required_columns_and_repeated_ones_are_reported():
    match = match_headers("report", ["National reference", "national_reference", "Place"])
    assert match.repeated == ("national_reference",)
    assert {column.key for column in match.missing} == {"country_of_seizure", "seizure_date"}


def test_a_csv_groups_columns_are_optional_but_its_own_required_ones_are_not():
    match = match_headers("csv", ["national_reference", "seizure_date", "country_of_seizure"])
    assert {column.key for column in match.missing} == {"commodity_category", "quantity", "unit"}


def test_a_column_of_the_full_variant_is_unknown_to_the_simplified_one():
    match = match_headers("item", ["national_reference", "brand"], variant="simplified")
    assert match.unknown == ("brand",)


def test_sheets_are_told_by_part_name_key_or_title():
    assert part_for_sheet("Items") == "item"
    assert part_for_sheet("items") == "item"
    assert part_for_sheet("Persons and companies") == "party"
    assert part_for_sheet(" REPORTS ") == "report"
    assert part_for_sheet("Sheet1") is None
    assert is_template_sheet("Read me")
    assert not is_template_sheet("Items")
