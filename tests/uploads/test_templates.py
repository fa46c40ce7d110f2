"""The templates: a workbook that explains itself, drop-downs of the active terms, text identifier columns."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from apps.reference.models import DetectionMethod, Unit
from apps.reports import catalogue
from apps.uploads.blank_files import template_csv, template_xlsx
from apps.uploads.columns import csv_columns, match_headers, sheet_columns, sheet_parts, sheet_title
from apps.uploads.reading import read_upload
from apps.uploads.values import DROPDOWN_SEPARATOR

pytestmark = pytest.mark.django_db


def open_template(variant="full"):
    return load_workbook(io.BytesIO(template_xlsx(variant=variant)))


def validation_for(sheet: Worksheet, letter: str):
    """The data validation covering the column ``letter`` from row 2."""
    for validation in sheet.data_validations.dataValidation:
        if any(str(cell_range).startswith(f"{letter}2:") for cell_range in validation.sqref.ranges):
            return validation
    return None


def list_entries(book, formula: str) -> list[str]:
    """The entries of a list formula like ='Lists'!$B$2:$B$12."""
    sheet_name, cells = formula.lstrip("=").split("!")
    sheet = book[sheet_name.strip("'")]
    start, end = (part.replace("$", "") for part in cells.split(":"))
    return [cell.value for row in sheet[f"{start}:{end}"] for cell in row]


def letter_of(sheet: Worksheet, header: str) -> str:
    for cell in sheet[1]:
        if cell.value == header:
            return cell.column_letter
    raise AssertionError(f"no column {header!r}")


def test_the_full_workbook_has_a_read_me_first_a_sheet_per_part_and_hidden_lists():
    book = open_template()
    titles = [sheet_title(part) for part in sheet_parts(variant="full")]
    assert book.sheetnames == ["Read me", *titles, "Lists"]
    assert book["Lists"].sheet_state == "hidden"
    assert titles == ["Reports", "Items", "Route", "Conveyances", "Persons and companies"]


def test_each_part_sheet_has_its_columns_headers_starting_with_the_national_reference():
    book = open_template()
    for part in sheet_parts(variant="full"):
        headers = [cell.value for cell in book[sheet_title(part)][1]]
        assert headers == [str(column.header) for column in sheet_columns(part, variant="full")]
        assert headers[0] == "National reference"
        match = match_headers(part, headers)
        assert match.unknown == () and match.missing == ()


def test_the_simplified_workbook_has_only_the_simplified_fields():
    book = open_template("simplified")
    assert book.sheetnames == ["Read me", "Reports", "Items", "Lists"]
    headers = {cell.value for cell in book["Items"][1]}
    assert "Brand" not in headers
    assert "Quantity" in headers


def test_the_read_me_explains_every_column_and_marks_the_required_ones():
    sheet = open_template()["Read me"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    explained = {(row[0], row[2]): row for row in rows if row and len(row) >= 5 and row[2]}
    for part in sheet_parts(variant="full"):
        for column in sheet_columns(part, variant="full"):
            row = explained[sheet_title(part), column.key]
            assert row[3] == ("Yes" if column.required else None)
            assert row[4]
    for column in csv_columns(variant="full"):
        assert ("CSV", column.key) in explained
    assert explained["Items", "quantity"][4].startswith("A number")
    assert explained["Reports", "seizure_date"][3] == "Yes"


def test_a_unit_drop_down_lists_the_active_units_only():
    Unit.objects.update_or_create(code="ZZZ", defaults={"label": "retired unit", "active": False})
    Unit.objects.update_or_create(code="YYY", defaults={"label": "new unit", "active": True})
    book = open_template()
    items = book["Items"]
    validation = validation_for(items, letter_of(items, "Unit"))
    assert validation is not None and validation.type == "list"
    entries = list_entries(book, validation.formula1)
    active = list(Unit.objects.filter(active=True).values_list("code", flat=True))
    assert sorted(entry.split(" — ")[0] for entry in entries) == sorted(active)
    assert "YYY — new unit" in entries
    assert not any(entry.startswith("ZZZ") for entry in entries)
    assert validation.errorStyle == "warning"  # a code or label typed by hand is still accepted


def test_choice_and_country_columns_have_drop_downs_and_free_text_columns_have_none():
    book = open_template()
    route = book["Route"]
    roles = list_entries(book, validation_for(route, letter_of(route, "Role in the route")).formula1)
    assert roles[0] == "origin — Origin"
    countries = list_entries(book, validation_for(route, letter_of(route, "Country")).formula1)
    assert "FR — France" in countries
    assert validation_for(route, letter_of(route, "Place")) is None


def test_identifier_and_text_columns_are_formatted_as_text_and_dates_as_dates():
    book = open_template()
    reports, items, conveyances = book["Reports"], book["Items"], book["Conveyances"]
    assert reports.column_dimensions[letter_of(reports, "National reference")].number_format == "@"
    assert items.column_dimensions[letter_of(items, "HS code")].number_format == "@"
    assert conveyances.column_dimensions[letter_of(conveyances, "Identifier")].number_format == "@"
    assert reports.column_dimensions[letter_of(reports, "Date of seizure")].number_format == "yyyy-mm-dd"
    assert items.column_dimensions[letter_of(items, "Quantity")].number_format == "General"


def test_several_detection_methods_in_one_cell_raise_no_warning():
    book = open_template()
    reports = book["Reports"]
    validation = validation_for(reports, letter_of(reports, "Detection methods"))
    assert validation is not None and not validation.showErrorMessage


def test_a_filled_in_template_reads_back(tmp_path):
    book = open_template("simplified")
    reports, items = book["Reports"], book["Items"]
    headers = [cell.value for cell in reports[1]]
    row = {
        "National reference": "007",
        "Kind of case": "seizure — Seizure",
        "Country of seizure": "FR — France",
        "Date of seizure": dt.date(2024, 3, 5),
    }
    reports.append([row.get(header) for header in headers])
    item_headers = [cell.value for cell in items[1]]
    item = {"National reference": "007", "Quantity": 2.5, "Unit": "KGM — Kilogram", "Commodity category": "DRUGS"}
    items.append([item.get(header) for header in item_headers])
    path = tmp_path / "filled.xlsx"
    book.save(path)
    reading = read_upload(path, format="xlsx", variant="simplified")
    report, first = list(reading)
    assert reading.summary.problems == []
    assert report.values["national_reference"] == "007"
    assert (report.values["kind"], report.values["country_of_seizure"]) == ("seizure", "FR")
    assert report.values["seizure_date"] == dt.date(2024, 3, 5)
    assert (first.values["unit"], str(first.values["quantity"])) == ("KGM", "2.5")


def test_the_csv_template_is_the_header_row_of_the_csv_form():
    data = template_csv(variant="full")
    assert data.startswith(b"\xef\xbb\xbf")
    [headers] = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert headers == [str(column.header) for column in csv_columns(variant="full")]
    match = match_headers("csv", headers)
    assert match.unknown == () and match.missing == ()
    assert len(headers) == len(set(headers))


def test_the_csv_template_of_the_simplified_form_has_its_fields_only():
    [headers] = list(csv.reader(io.StringIO(template_csv(variant="simplified").decode("utf-8-sig"))))
    simplified = {str(spec.label) for part in ("report", "item") for spec in catalogue.fields(part, simplified=True)}
    assert set(headers) == simplified


# Vocabulary codes and labels are edited by RILO's administrators: a spreadsheet must never take one for a formula.
LOOKS_LIKE_A_FORMULA = ['=HYPERLINK("http://x.example")', "=1+1", "+1+1", "-1+1", "@SUM(A1)"]


def test_a_term_whose_code_or_label_looks_like_a_formula_is_written_as_text_in_the_workbook():
    for number, text in enumerate(LOOKS_LIKE_A_FORMULA):
        DetectionMethod.objects.create(code=text, label=f"Method {number}")
        DetectionMethod.objects.create(code=f"LBL{number}", label=text)
    data = template_xlsx(variant="full")

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert sheets and not any(re.search(rb"<f[ >]", archive.read(name)) for name in sheets)
    book = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert cells and {cell.data_type for cell in cells} == {"s"}  # every cell text, none a formula
    entries = {cell.value for cell in book["Lists"]._cells.values()}
    for number, text in enumerate(LOOKS_LIKE_A_FORMULA):
        assert f"{text}{DROPDOWN_SEPARATOR}Method {number}" in entries
        assert f"LBL{number}{DROPDOWN_SEPARATOR}{text}" in entries
