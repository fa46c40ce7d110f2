"""Cell contents converted for the validator: numbers, dates and codes as officers and spreadsheets write them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.reports import catalogue
from apps.uploads import values
from apps.uploads.values import ExcelNumber


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("12.5", Decimal("12.5")),
        ("12,5", Decimal("12.5")),
        ("1 234,5", Decimal("1234.5")),
        ("1.234,5", Decimal("1234.5")),
        ("1,234.5", Decimal("1234.5")),
        ("1,234,567", Decimal("1234567")),
        ("1\u00a0234", Decimal("1234")),
        (12.5, Decimal("12.5")),
        (0.1, Decimal("0.1")),
        (7, Decimal("7")),
        (ExcelNumber("0.30000000000000004"), Decimal("0.3")),
    ],
)
def test_numbers_with_a_decimal_point_or_comma(typed, number):
    assert values.decimal(typed) == number


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (ExcelNumber("79.242999999999995"), "79.243"),
        (ExcelNumber("1.0000000000000001E-3"), "0.001"),
        (0.1 + 0.2, "0.3"),
        (ExcelNumber("12345678901234567"), "12345678901234567"),  # whole: as written, no digit lost
    ],
)
def test_a_number_cell_is_read_with_the_digits_excel_shows(stored, shown):
    # Excel stores doubles and shows 15 significant digits: 79.243 typed is stored as 79.242999999999995.
    assert values.decimal(stored) == Decimal(shown)
    assert str(values.decimal(stored)) == shown
    assert values.text(stored) == shown


def test_what_is_no_number_is_handed_over_as_typed():
    assert values.decimal("about 12 kg") == "about 12 kg"
    assert values.decimal("NaN") == "NaN"
    assert values.integer("2.5") == "2.5"
    assert values.integer("1 200") == 1200
    assert values.integer(3.0) == 3


@pytest.mark.parametrize(
    ("typed", "date"),
    [
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("2024-03-05 00:00:00", dt.date(2024, 3, 5)),
        ("05/03/2024", dt.date(2024, 3, 5)),
        ("5.3.2024", dt.date(2024, 3, 5)),
        ("05-03-2024", dt.date(2024, 3, 5)),
        (45356.0, dt.date(2024, 3, 5)),
        (ExcelNumber("45356"), dt.date(2024, 3, 5)),
        (dt.datetime(2024, 3, 5, 10, 30), dt.date(2024, 3, 5)),
    ],
)
def test_dates_iso_day_first_or_excel_serial(typed, date):
    assert values.date(typed) == date


def test_a_serial_in_a_1904_workbook_counts_from_1904():
    assert values.date(ExcelNumber("43894"), date1904=True) == dt.date(2024, 3, 5)


def test_a_date_that_does_not_exist_stays_as_typed():
    assert values.date("31/02/2024") == "31/02/2024"
    assert values.date("next Tuesday") == "next Tuesday"


def test_times_from_a_fraction_of_a_day_or_a_time_cell():
    assert values.time(0.5) == dt.time(12, 0)
    assert values.time(ExcelNumber("0.75")) == dt.time(18, 0)
    assert values.time(dt.time(14, 30)) == dt.time(14, 30)
    assert values.time(dt.timedelta(hours=6)) == dt.time(6, 0)
    assert values.time("14:30") == "14:30"


def test_codes_from_the_template_drop_down_or_typed():
    assert values.code("KGM — Kilogram") == "KGM"
    assert values.code("  kilogram ") == "kilogram"
    assert values.code(1.0) == "1"
    assert values.codes("XRAY; Dog\nDOCS") == ["XRAY", "Dog", "DOCS"]


def test_identifiers_keep_their_text_and_an_hs_number_its_leading_zero():
    assert values.text(ExcelNumber("20240001")) == "20240001"
    assert values.text(20240001.0) == "20240001"
    assert values.text("=1+2") == "=1+2"
    assert values.hs_code(901.0) == "0901"
    assert values.hs_code("2402.20") == "2402.20"


def test_attributes_as_json_or_name_value_pairs():
    assert values.attributes('{"purity": 0.8}') == {"purity": Decimal("0.8")}
    assert values.attributes("purity=80; form=powder") == {"purity": 80, "form": "powder"}
    assert values.attributes("eighty percent") == "eighty percent"


def test_every_input_kind_of_the_catalogue_has_its_own_conversion():
    # A kind falling back to plain text would hand the validator a string it does not expect (a list of terms,
    # a date, a number): every kind but free text has a conversion of its own.
    for part in ("report", *catalogue.ROW_PARTS):
        for spec in catalogue.fields(part):
            if spec.kind in ("text", "longtext"):
                assert values.converter(spec) is values.text, spec
            else:
                assert values.converter(spec) is not values.text, spec


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("Oui", True),
        ("NON", False),
        ("vrai", True),
        ("Faux", False),
        ("Sí", True),
        ("si", True),
        ("no", False),
        ("Verdadero", True),
        ("falso", False),
        ("да", True),
        ("нет".upper(), False),
        ("Истина", True),
        ("ложь", False),
        ("Yes", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
    ],
)
def test_a_yes_no_cell_is_read_in_any_of_the_four_languages(typed, read):
    assert values.boolean(typed) is read


def test_a_yes_no_cell_in_no_language_is_handed_over_as_typed():
    assert values.boolean("peut-être") == "peut-être"
