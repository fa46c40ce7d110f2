"""The marked copy: the officer's rows with each faulty cell coloured and explained, and an errors sheet."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from apps.uploads.cells import CSV_SHEET, CellProblem
from apps.uploads.marked import FAULT_FILL, marked_copy
from apps.uploads.reading import read_upload
from apps.uploads.sniffing import inspect_upload
from tests.uploads.files import ITEM_HEADERS, REPORT_HEADERS, write_csv, write_xlsx

CSV_HEADERS = [*REPORT_HEADERS, *ITEM_HEADERS[1:], "Description of the goods"]
UNIT_MESSAGE = "Unit: 'kgs' is not a unit; use KGM (kilogram) or one of the list."


def problems_of(reading):
    records = list(reading)
    return records, [problem for record in records for problem in record.problems] + reading.summary.problems


def fill_of(cell):
    return cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type == "solid" else None


def test_a_workbooks_copy_marks_the_formula_and_the_validators_problem(tmp_path):
    path = write_xlsx(
        tmp_path / "upload.xlsx",
        {
            "Read me": [["Explanations"]],
            "Reports": [REPORT_HEADERS, ["007", "Seizure", "FR", "2024-03-05", 1]],
            "Items": [ITEM_HEADERS, ["007", "DRUGS", "=2*6", "KGM"], ["007", "DRUGS", 3, "kgs"]],
        },
    )
    records, problems = problems_of(read_upload(path, format="xlsx", variant="full"))
    unit = next(record for record in records if record.part == "item" and record.row == 3)
    problems.append(CellProblem("Items", unit.row, unit.cells["unit"], "unit", UNIT_MESSAGE))

    copy = load_workbook(io.BytesIO(marked_copy(path, format="xlsx", problems=problems)))
    assert copy.sheetnames == ["Errors", "Reports", "Items"]  # the read-me is not read, so not copied
    items = copy["Items"]
    formula, bad_unit = items["C2"], items["D3"]
    assert (formula.value, formula.data_type) == ("=2*6", "s")  # shown as text, never a formula again
    assert "formula" in formula.comment.text
    assert fill_of(formula) == "FF" + FAULT_FILL
    assert bad_unit.value == "kgs" and bad_unit.comment.text == UNIT_MESSAGE
    assert fill_of(items["B3"]) is None and items["B3"].comment is None
    assert [cell.value for cell in copy["Reports"][2]] == ["007", "Seizure", "FR", "2024-03-05", 1]
    errors = [[cell.value for cell in row] for row in copy["Errors"].iter_rows(min_row=2)]
    assert errors == [[p.sheet, p.row, p.column, p.field, p.message] for p in problems]


def test_a_csvs_copy_is_a_workbook_of_its_rows_with_the_faulty_cells_marked(tmp_path):
    rows = [
        CSV_HEADERS,
        ["FR-1", "seizure", "FR", "05/03/2024", "1", "DRUGS", "1,5", "KGM", "=cmd|' /C calc'!A0"],
        ["FR-2", "seizure", "FR", "2024-03-06", "1", "DRUGS", "lots", "KGM", "Crème"],
    ]
    path = write_csv(tmp_path / "upload.csv", rows, encoding="windows-1252", delimiter=";")
    problems = [
        CellProblem(CSV_SHEET, 3, "Quantity", "quantity", "Enter a number."),
        CellProblem(CSV_SHEET, 2, "", "", "The route differs from row 2."),
        CellProblem(CSV_SHEET, 1, "Colour", "", "Unknown column 'Colour'."),
    ]
    copy = load_workbook(io.BytesIO(marked_copy(path, format="csv", problems=problems)))
    assert copy.sheetnames == ["Errors", CSV_SHEET]
    sheet = copy[CSV_SHEET]
    assert [cell.value for cell in sheet[1]] == CSV_HEADERS
    assert sheet["I2"].value == "=cmd|' /C calc'!A0" and sheet["I2"].data_type == "s"
    assert sheet["I3"].value == "Crème"  # the encoding was detected
    assert sheet["G3"].comment.text == "Enter a number."
    assert fill_of(sheet["G3"]) == "FF" + FAULT_FILL
    assert sheet["A2"].comment.text == "The route differs from row 2."  # a problem of the whole row
    assert sheet["A1"].comment.text == "Unknown column 'Colour'."  # a header nowhere to be found: the row
    assert sheet["G2"].comment is None


def test_a_csvs_copy_corrected_in_excel_reads_back_as_the_csv_did(tmp_path):
    rows = [
        CSV_HEADERS,
        ["FR-1", "seizure", "FR", "05/03/2024", "1", "DRUGS", "1,5", "KGM", "first"],
        ["FR-1", "seizure", "FR", "05/03/2024", "1", "TOBACCO", "200", "STK", "second"],
    ]
    path = write_csv(tmp_path / "upload.csv", rows)
    original = list(read_upload(path, format="csv", variant="full"))
    copy_path = tmp_path / "marked.xlsx"
    copy_path.write_bytes(marked_copy(path, format="csv", problems=[]))
    assert inspect_upload(copy_path, name="marked.xlsx") == "xlsx"
    reading = read_upload(copy_path, format="xlsx", variant="full")
    again = list(reading)
    assert reading.summary.problems == []  # the errors sheet is not data
    assert [(r.part, r.sheet, r.row, r.values) for r in again] == [(r.part, r.sheet, r.row, r.values) for r in original]


def test_a_formula_typed_into_a_csvs_copy_is_a_problem_at_its_cell(tmp_path):
    rows = [CSV_HEADERS, ["FR-1", "seizure", "FR", "05/03/2024", "1", "DRUGS", "1,5", "KGM", "first"]]
    copy_path = tmp_path / "marked.xlsx"
    copy_path.write_bytes(marked_copy(write_csv(tmp_path / "upload.csv", rows), format="csv", problems=[]))
    book = load_workbook(copy_path)
    book[CSV_SHEET]["G2"] = "=1+1"
    book.save(copy_path)
    records = list(read_upload(copy_path, format="xlsx", variant="full"))
    item = next(record for record in records if record.part == "item")
    assert item.values["quantity"] is None
    report = next(record for record in records if record.part == "report")
    assert [(problem.row, problem.column) for problem in report.problems] == [(2, "Quantity")]


def test_the_copy_holds_no_formula_whatever_the_upload_held(tmp_path):
    rows = [CSV_HEADERS, ["=1+1", "+2", "-3", "@SUM(A1)", "1", "DRUGS", "1", "KGM", '=HYPERLINK("x")']]
    data = marked_copy(write_csv(tmp_path / "upload.csv", rows), format="csv", problems=[])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in archive.read(name) or b"<f " in archive.read(name) for name in sheets)


def test_a_filled_templates_copy_holds_the_sheets_the_check_reads(tmp_path, db):
    from apps.uploads.blank_files import template_xlsx

    path = tmp_path / "template.xlsx"
    path.write_bytes(template_xlsx(variant="simplified"))
    copy = load_workbook(io.BytesIO(marked_copy(path, format="xlsx", problems=[])))
    assert copy.sheetnames == ["Errors", "Reports", "Items"]  # the read-me and the lists are not read
    assert copy["Reports"].sheet_state == "visible"


def test_dates_numbers_and_times_are_copied_as_such(tmp_path):
    import datetime as dt

    path = write_xlsx(
        tmp_path / "upload.xlsx",
        {
            "Reports": [
                [*REPORT_HEADERS, "Time of seizure"],
                ["007", "Seizure", "FR", dt.datetime(2024, 3, 5), 1.5, dt.time(14, 30)],
            ]
        },
    )
    copy = load_workbook(io.BytesIO(marked_copy(path, format="xlsx", problems=[])))
    row = [cell.value for cell in copy["Reports"][2]]
    assert row == ["007", "Seizure", "FR", dt.datetime(2024, 3, 5), 1.5, dt.time(14, 30)]
