"""Reading CSV files and workbooks into records: encodings, separators, values, formulas, limits."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.test import override_settings
from openpyxl import load_workbook

from apps.core.xlsx import xlsx_chunks
from apps.uploads.cells import CSV_SHEET
from apps.uploads.marked import marked_copy
from apps.uploads.messages import formula_message
from apps.uploads.reading import read_upload
from apps.uploads.sheets import scan_sheet
from apps.uploads.sniffing import UploadRefused
from tests.uploads.files import ITEM_HEADERS, REPORT_HEADERS, write_csv, write_xlsx

CSV_HEADERS = [*REPORT_HEADERS, *ITEM_HEADERS[1:], "Description of the goods", "Detection methods"]


def csv_row(reference="FR-1", **given):
    values = {
        "kind": "seizure",
        "country": "FR",
        "date": "05/03/2024",
        "mode": "1",
        "category": "Drugs",
        "quantity": "1 234,5",
        "unit": "KGM — Kilogram",
        "description": "Côte d'Ivoire cocoa",
        "methods": "XRAY; dog",
        **given,
    }
    return [reference, *values.values()]


def read_all(path, **options):
    reading = read_upload(path, format=options.pop("format", "csv"), variant=options.pop("variant", "full"), **options)
    records = list(reading)
    return records, reading.summary


def by_part(records, part):
    return [record for record in records if record.part == part]


# ---------------------------------------------------------------------------------------------------------------
# CSV


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),
        ("windows-1252", "cp1252"),
    ],
)
def test_a_csv_encoding_is_detected_and_its_text_read_right(tmp_path, encoding, detected):
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS, csv_row()], encoding=encoding)
    records, summary = read_all(path)
    assert summary.encoding == detected
    assert by_part(records, "item")[0].values["description"] == "Côte d'Ivoire cocoa"
    assert by_part(records, "report")[0].values["national_reference"] == "FR-1"


def test_a_windows_1252_file_read_as_the_utf_8_the_user_chose_is_refused_with_what_to_do(tmp_path):
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS, csv_row()], encoding="windows-1252")
    with pytest.raises(UploadRefused, match="choose its encoding"):
        read_all(path, encoding="utf-8")


def test_the_encoding_the_user_chose_is_used(tmp_path):
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS, csv_row(description="Crème")], encoding="windows-1252")
    records, summary = read_all(path, encoding="windows-1252")
    assert summary.encoding == "cp1252"
    assert by_part(records, "item")[0].values["description"] == "Crème"


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_the_separator_is_detected(tmp_path, separator):
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS, csv_row(), csv_row("FR-2")], delimiter=separator)
    records, summary = read_all(path)
    assert summary.separator == separator
    assert [record.values["national_reference"] for record in by_part(records, "report")] == ["FR-1", "FR-2"]
    assert by_part(records, "item")[0].values["quantity"] == Decimal("1234.5")


def test_csv_values_are_converted_for_the_validator(tmp_path):
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS, csv_row(date="2024-03-07", quantity="12.5", unit="kgm")])
    records, _summary = read_all(path)
    report, item = records
    assert report.values["seizure_date"] == dt.date(2024, 3, 7)
    assert report.values["detection_methods"] == ["XRAY", "dog"]  # terms as typed: the validator resolves them
    assert item.values == {
        "national_reference": "FR-1",
        "commodity_category": "Drugs",
        "quantity": Decimal("12.5"),
        "unit": "kgm",
        "description": "Côte d'Ivoire cocoa",
    }
    assert item.cells["quantity"] == "Quantity"
    assert (report.sheet, report.row, item.row) == (CSV_SHEET, 2, 2)


def test_day_first_dates_and_a_decimal_comma_are_read(tmp_path):
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS, csv_row(date="05/03/2024", quantity="0,75")])
    report, item = read_all(path)[0]
    assert report.values["seizure_date"] == dt.date(2024, 3, 5)
    assert item.values["quantity"] == Decimal("0.75")
    assert item.values["unit"] == "KGM"  # the drop-down's "CODE — label"


def test_a_cell_starting_like_a_formula_is_kept_as_text(tmp_path):
    formula = '=HYPERLINK("http://evil.example","click")'
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS, csv_row(description=formula)])
    records, _summary = read_all(path)
    assert by_part(records, "item")[0].values["description"] == formula
    assert not any(record.problems for record in records)


def test_a_date_that_is_no_date_is_handed_over_as_typed(tmp_path):
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS, csv_row(date="31/02/2024")])
    report = by_part(read_all(path)[0], "report")[0]
    assert report.values["seizure_date"] == "31/02/2024"


def test_a_file_of_headers_only_has_no_records_and_says_so(tmp_path):
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS])
    records, summary = read_all(path)
    assert records == []
    assert [problem.message for problem in summary.problems] == ["The file has no rows below its headers."]


def test_unknown_and_missing_columns_are_problems_of_the_file(tmp_path):
    path = write_csv(tmp_path / "s.csv", [["national_reference", "Colour"], ["FR-1", "red"]])
    records, summary = read_all(path)
    messages = " ".join(problem.message for problem in summary.problems)
    assert "Unknown column 'Colour'" in messages
    # It blocks the commit: it says what to do, not that it is left aside.
    assert "remove the column, or rename it to a header of the template" in messages and "not read" not in messages
    for header in ("Date of seizure", "Quantity", "Unit"):
        assert f"required column {header!r} is missing" in messages
    assert records[0].values == {"national_reference": "FR-1"}


def test_a_reports_route_is_given_once_and_other_rows_repeat_it_or_leave_it_blank(tmp_path):
    headers = [*CSV_HEADERS, "route_1_role", "route_1_country", "route_2_role", "route_2_country"]
    rows = [
        headers,
        [*csv_row(), "origin", "CO", "destination", "FR"],
        [*csv_row(), "origin", "CO", "destination", "FR"],
        [*csv_row(), "", "", "", ""],
        [*csv_row(), "origin", "PE", "", ""],
    ]
    records, _summary = read_all(write_csv(tmp_path / "s.csv", rows))
    route = by_part(records, "route")
    assert [(record.row, record.values["role"], record.values["country"]) for record in route] == [
        (2, "origin", "CO"),
        (2, "destination", "FR"),
    ]
    assert route[0].cells == {
        "national_reference": "National reference",
        "role": "route_1_role",
        "country": "route_1_country",
    }
    assert len(by_part(records, "item")) == 4
    problems = [problem for record in records for problem in record.problems]
    assert [(problem.row, "row 2" in problem.message) for problem in problems] == [(5, True)]


def test_an_offence_row_without_item_cells_gives_no_item(tmp_path):
    path = write_csv(
        tmp_path / "s.csv", [CSV_HEADERS, csv_row(kind="offence", category="", quantity="", unit="", description="")]
    )
    records, _summary = read_all(path)
    assert [record.part for record in records] == ["report"]


def test_blank_rows_are_skipped_and_rows_keep_their_file_numbers(tmp_path):
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS, csv_row(), [""] * len(CSV_HEADERS), csv_row("FR-2")])
    reports = by_part(read_all(path)[0], "report")
    assert [record.row for record in reports] == [2, 4]


def test_200001_rows_are_refused(tmp_path):
    path = tmp_path / "s.csv"
    line = "FR-1,seizure,FR,2024-01-02,1,Drugs,1,KGM\n"
    path.write_text(",".join(["National reference", *CSV_HEADERS[1:8]]) + "\n" + line * 200_001)
    reading = read_upload(path, format="csv", variant="full")
    with pytest.raises(UploadRefused, match="more than 200,000 rows"):
        for _record in reading:
            pass


@override_settings(RILO_UPLOAD_MAX_ROWS=3)
def test_as_many_rows_as_the_limit_are_read(tmp_path):
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS, csv_row("1"), csv_row("2"), csv_row("3")])
    records, summary = read_all(path)
    assert summary.rows["report"] == 3
    assert [record.values["national_reference"] for record in by_part(records, "report")] == ["1", "2", "3"]


# ---------------------------------------------------------------------------------------------------------------
# XLSX


def workbook(tmp_path, reports=(), items=(), **sheets):
    return write_xlsx(
        tmp_path / "upload.xlsx",
        {
            "Read me": [["Explanations"]],
            "Reports": [REPORT_HEADERS, *reports],
            "Items": [ITEM_HEADERS, *items],
            **sheets,
        },
    )


def test_a_workbooks_sheets_give_records_of_their_parts(tmp_path):
    path = workbook(
        tmp_path,
        reports=[["00123", "Seizure", "FR", dt.datetime(2024, 3, 5), 1]],
        items=[["00123", "DRUGS", 12.5, "KGM"], ["00123", "TOBACCO", 200, "STK"]],
    )
    records, summary = read_all(path, format="xlsx")
    report, first, second = records
    assert report.values == {
        "national_reference": "00123",
        "kind": "Seizure",
        "country_of_seizure": "FR",
        "seizure_date": dt.date(2024, 3, 5),
        "transport_mode": "1",
    }
    assert (report.part, report.sheet, report.row, report.cells["seizure_date"]) == ("report", "Reports", 2, "D")
    assert first.values["quantity"] == Decimal("12.5")
    assert second.values["quantity"] == Decimal("200")
    assert (second.row, second.cells["unit"]) == (3, "D")
    assert summary.rows == {"report": 1, "item": 2}
    assert summary.problems == []


def test_a_formula_is_never_read_and_its_cell_is_a_problem(tmp_path):
    path = workbook(tmp_path, items=[["FR-1", "DRUGS", "=2*6", "KGM"]])
    records, _summary = read_all(path, format="xlsx")
    item = by_part(records, "item")[0]
    assert item.values["quantity"] is None
    [problem] = item.problems
    assert (problem.sheet, problem.row, problem.column, problem.field) == ("Items", 2, "C", "quantity")
    assert "formula (=2*6)" in problem.message


def test_a_formulas_cached_result_is_not_taken(tmp_path):
    path = workbook(tmp_path, items=[["FR-1", "DRUGS", "=2*6", "KGM"]])
    # Excel stores the last result beside the formula; a reader that takes it would read 12.
    with zipfile.ZipFile(path) as original:
        entries = {info.filename: original.read(info.filename) for info in original.infolist()}
    sheet = next(name for name, data in entries.items() if b"<f>" in data)
    entries[sheet] = entries[sheet].replace(b"<f>2*6</f><v />", b"<f>2*6</f><v>12</v>")
    assert b"<v>12</v>" in entries[sheet]
    with zipfile.ZipFile(path, "w") as rewritten:
        for name, data in entries.items():
            rewritten.writestr(name, data)
    item = by_part(read_all(path, format="xlsx")[0], "item")[0]
    assert item.values["quantity"] is None
    assert item.problems


def test_a_number_cell_is_read_as_excel_shows_it(tmp_path):
    path = workbook(tmp_path, items=[["FR-1", "DRUGS", 79.243, "KGM"]])
    # Excel writes the double of 79.243 with 17 significant digits.
    with zipfile.ZipFile(path) as original:
        entries = {info.filename: original.read(info.filename) for info in original.infolist()}
    written = re.compile(rb"<v>79\.24\d*</v>")  # as the writer wrote the number, whatever its digits
    sheet = next(name for name, data in entries.items() if written.search(data))
    entries[sheet] = written.sub(b"<v>79.242999999999995</v>", entries[sheet])
    with zipfile.ZipFile(path, "w") as rewritten:
        for name, data in entries.items():
            rewritten.writestr(name, data)
    item = by_part(read_all(path, format="xlsx")[0], "item")[0]
    assert item.values["quantity"] == Decimal("79.243")
    assert str(item.values["quantity"]) == "79.243"
    assert not item.problems


def test_an_error_value_is_a_problem(tmp_path):
    path = workbook(tmp_path, items=[["FR-1", "DRUGS", "#N/A", "KGM"]])
    item = by_part(read_all(path, format="xlsx")[0], "item")[0]
    assert "#N/A" in item.problems[0].message


def test_identifiers_typed_as_numbers_lose_no_digit_they_still_have(tmp_path):
    path = workbook(
        tmp_path,
        reports=[[20240001, "Seizure", "FR", "2024-03-05", 1]],
        items=[[20240001, "DRUGS", 1, "KGM"]],
    )
    report, item = read_all(path, format="xlsx")[0]
    assert report.values["national_reference"] == "20240001"
    assert item.values["national_reference"] == "20240001"


def test_an_hs_code_typed_as_a_number_gets_its_leading_zero_back(tmp_path):
    items: list[list[object]] = [[*ITEM_HEADERS, "HS code"], ["FR-1", "DRUGS", 1, "KGM", 901]]
    path = write_xlsx(tmp_path / "hs.xlsx", {"Reports": [REPORT_HEADERS], "Items": items})
    item = read_all(path, format="xlsx")[0][0]
    assert item.values["hs_code"] == "0901"


def test_a_sheet_that_holds_no_part_is_reported_and_the_read_me_is_not(tmp_path):
    path = workbook(tmp_path, Notes=[["anything"]])
    _records, summary = read_all(path, format="xlsx")
    assert [problem.sheet for problem in summary.problems] == ["Notes", ""]  # and no rows at all
    assert "no rows" in summary.problems[1].message


def test_the_simplified_variant_does_not_read_a_route_sheet(tmp_path):
    path = workbook(
        tmp_path,
        reports=[["FR-1", "Seizure", "FR", "2024-03-05", 1]],
        Route=[["national_reference", "role", "country"], ["FR-1", "origin", "CO"]],
    )
    records, summary = read_all(path, format="xlsx", variant="simplified")
    assert {record.part for record in records} == {"report"}
    assert [problem.sheet for problem in summary.problems] == ["Route"]


def test_a_workbook_written_with_inline_strings_and_no_cell_references_is_read(tmp_path):
    path = tmp_path / "inline.xlsx"
    path.write_bytes(
        b"".join(xlsx_chunks([REPORT_HEADERS, ["FR-1", "", "FR", "2024-03-05", "1"]], sheet_name="Reports"))
    )
    [report] = read_all(path, format="xlsx")[0]
    assert report.values["kind"] is None
    assert report.values["country_of_seizure"] == "FR"
    assert report.cells["country_of_seizure"] == "C"


def test_dates_of_a_1904_workbook_are_read_in_its_system(tmp_path):
    path = workbook(tmp_path, reports=[["FR-1", "Seizure", "FR", 0, 1]])
    with zipfile.ZipFile(path) as original:
        entries = {info.filename: original.read(info.filename) for info in original.infolist()}
    entries["xl/workbook.xml"] = entries["xl/workbook.xml"].replace(b"<workbookPr />", b'<workbookPr date1904="1" />')
    reports_sheet = entries["xl/worksheets/sheet2.xml"]
    entries["xl/worksheets/sheet2.xml"] = reports_sheet.replace(b"<v>0</v>", b"<v>43894</v>")
    with zipfile.ZipFile(path, "w") as rewritten:
        for name, data in entries.items():
            rewritten.writestr(name, data)
    report = read_all(path, format="xlsx")[0][0]
    assert report.values["seizure_date"] == dt.date(2024, 3, 5)


def test_xml_with_a_document_type_declaration_is_refused(tmp_path):
    path = workbook(tmp_path)
    with zipfile.ZipFile(path) as original:
        entries = {info.filename: original.read(info.filename) for info in original.infolist()}
    entries["xl/worksheets/sheet2.xml"] = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + entries[
        "xl/worksheets/sheet2.xml"
    ].replace(b"Kind of case", b"&a;")
    with zipfile.ZipFile(path, "w") as rewritten:
        for name, data in entries.items():
            rewritten.writestr(name, data)
    with pytest.raises(UploadRefused):
        read_all(path, format="xlsx")


def test_a_damaged_sheet_is_refused(tmp_path):
    path = workbook(tmp_path, reports=[["FR-1", "Seizure", "FR", "2024-03-05", 1]])
    with zipfile.ZipFile(path) as original:
        entries = {info.filename: original.read(info.filename) for info in original.infolist()}
    entries["xl/worksheets/sheet2.xml"] = entries["xl/worksheets/sheet2.xml"][:-40]
    with zipfile.ZipFile(path, "w") as rewritten:
        for name, data in entries.items():
            rewritten.writestr(name, data)
    with pytest.raises(UploadRefused, match="damaged"):
        read_all(path, format="xlsx")


@override_settings(RILO_UPLOAD_MAX_ROWS=2)
def test_a_sheet_over_the_row_limit_is_refused(tmp_path):
    path = workbook(tmp_path, items=[["FR-1", "DRUGS", 1, "KGM"]] * 3)
    with pytest.raises(UploadRefused, match="Items has more than 2 rows"):
        read_all(path, format="xlsx")


def test_a_formula_in_a_cell_without_reference_is_still_placed_at_its_cell(tmp_path):
    path = tmp_path / "inline.xlsx"
    rows = [ITEM_HEADERS, ["FR-1", "DRUGS", "12", "KGM"], ["FR-2", "DRUGS", "TWELVE", "KGM"]]
    path.write_bytes(b"".join(xlsx_chunks(rows, sheet_name="Items")))
    with zipfile.ZipFile(path) as original:
        entries = {info.filename: original.read(info.filename) for info in original.infolist()}
    typed = b'<c t="inlineStr"><is><t xml:space="preserve">TWELVE</t></is></c>'
    assert typed in entries["xl/worksheets/sheet1.xml"]
    entries["xl/worksheets/sheet1.xml"] = entries["xl/worksheets/sheet1.xml"].replace(
        typed, b"<c><f>6*2</f><v>12</v></c>"
    )
    with zipfile.ZipFile(path, "w") as rewritten:
        for name, data in entries.items():
            rewritten.writestr(name, data)
    first, second = read_all(path, format="xlsx")[0]
    assert first.values["quantity"] == Decimal("12") and not first.problems
    assert second.values["quantity"] is None
    assert [(problem.row, problem.column) for problem in second.problems] == [(3, "C")]


def test_a_sheet_spanning_a_million_rows_and_every_column_is_read_row_by_row(tmp_path):
    # Two cells, A1 and XFD1048576: a tiny file whose dense grid would take hundreds of gigabytes.
    path = workbook(tmp_path, items=[["FR-1", "DRUGS", 1, "KGM"]])
    with zipfile.ZipFile(path) as original:
        entries = {info.filename: original.read(info.filename) for info in original.infolist()}
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far away</t></is></c></row></sheetData>'
    entries["xl/worksheets/sheet3.xml"] = entries["xl/worksheets/sheet3.xml"].replace(b"</sheetData>", far)
    with zipfile.ZipFile(path, "w") as rewritten:
        for name, data in entries.items():
            rewritten.writestr(name, data)
    with zipfile.ZipFile(path) as archive:
        scan = scan_sheet(archive, "xl/worksheets/sheet3.xml")
    assert (scan.rows, scan.columns, scan.fits_calamine) == (1048576, 16384, False)
    records, _summary = read_all(path, format="xlsx")
    item = by_part(records, "item")[0]
    assert (item.row, item.values["quantity"]) == (2, Decimal("1"))
    copy = load_workbook(io.BytesIO(marked_copy(path, format="xlsx", problems=[])), read_only=True)
    assert copy["Items"]["A2"].value == "FR-1"


def test_an_ordinary_sheet_is_read_by_calamine(tmp_path):
    path = workbook(tmp_path, items=[["FR-1", "DRUGS", "=1+1", "KGM"]] * 3)
    with zipfile.ZipFile(path) as archive:
        scan = scan_sheet(archive, "xl/worksheets/sheet3.xml")
    assert scan.fits_calamine
    assert (scan.rows, scan.columns) == (4, 26)  # four columns: the width assumed is up to Z
    assert scan.marked == {(2, 2): "=1+1", (3, 2): "=1+1", (4, 2): "=1+1"}


def test_a_sheet_of_many_rows_and_few_columns_is_read_by_calamine(tmp_path):
    # As many route steps as 100,000 items bring: far more cells would fit calamine if every sheet were assumed
    # as wide as the widest layout.
    path = tmp_path / "route.xlsx"
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>R</t></is></c></row>' for n in range(1, 200_001))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{rows}</sheetData></worksheet>")
    with zipfile.ZipFile(path) as archive:
        scan = scan_sheet(archive, "xl/worksheets/sheet1.xml")
    assert (scan.rows, scan.columns, scan.fits_calamine) == (200_000, 26, True)


@pytest.mark.parametrize("xml", [b"", b"<row>", b'<worksheet><sheetData><row r="1"><c r="A1"><f>1</f></c></row>'])
def test_the_scan_of_a_truncated_or_empty_sheet_ends(tmp_path, xml):
    path = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", xml)
    with zipfile.ZipFile(path) as archive:
        scan = scan_sheet(archive, "xl/worksheets/sheet1.xml")
    assert scan.marked == ({(1, 0): "=1"} if b"<f>" in xml else {})


def test_a_nul_character_escaped_in_a_workbook_is_a_problem_of_its_cell(tmp_path):
    # Excel writes a control character as _x0000_; read as the character, which no text stored may hold.
    path = workbook(tmp_path, items=[["FR-1", "DRUGS", 12, "KG_x0000_M"]])
    records, _summary = read_all(path, format="xlsx")
    item = by_part(records, "item")[0]
    assert item.values["unit"] is None and item.values["quantity"] == 12
    [problem] = item.problems
    assert (problem.sheet, problem.row, problem.column, problem.field) == ("Items", 2, "D", "unit")
    assert "NUL character" in problem.message


def test_a_nul_character_in_a_csv_is_a_problem_of_its_cell(tmp_path):
    path = write_csv(tmp_path / "s.csv", [CSV_HEADERS, csv_row(unit="KGM"), csv_row("FR-2", unit="KG\x00M")])
    records, _summary = read_all(path)
    first, second = by_part(records, "item")
    assert first.values["unit"] == "KGM" and second.values["unit"] is None
    [problem] = [problem for record in records for problem in record.problems]
    assert (problem.sheet, problem.row, problem.column, problem.field) == ("CSV", 3, "Unit", "unit")
    assert "NUL character" in problem.message


def test_a_nul_character_in_the_csv_form_sheet_of_a_workbook_is_a_problem_of_its_cell(tmp_path):
    # A CSV's marked copy corrected in Excel: its sheet "CSV" is read as the CSV form.
    path = write_xlsx(tmp_path / "marked.xlsx", {"CSV": [CSV_HEADERS, csv_row(unit="KG_x0000_M")]})
    records, _summary = read_all(path, format="xlsx")
    [item] = by_part(records, "item")
    assert item.values["unit"] is None
    [problem] = [problem for record in records for problem in record.problems]
    assert (problem.sheet, problem.row, problem.column, problem.field) == ("CSV", 2, "Unit", "unit")
    assert "NUL character" in problem.message


def test_a_nul_character_in_a_csv_header_names_an_unknown_column_without_it(tmp_path):
    path = write_csv(tmp_path / "s.csv", [[*CSV_HEADERS, "Note\x00s"], [*csv_row(), "x"]], encoding="utf-8-sig")
    records, summary = read_all(path)
    assert by_part(records, "report")[0].values["national_reference"] == "FR-1"
    [problem] = summary.problems
    assert problem.column == "Note\ufffds" and "Unknown column" in problem.message


def test_a_formula_or_error_quoted_in_a_message_holds_no_nul():
    assert "\x00" not in formula_message("=A\x00B") and "=A\ufffdB" in formula_message("=A\x00B")
    assert "\x00" not in formula_message("#N/A\x00")
