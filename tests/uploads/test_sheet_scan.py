"""The scan of a sheet's XML (:func:`apps.uploads.sheets.scan_sheet`), on workbooks written by hand: where calamine
would put every cell (it holds a dense grid from the first cell to the last, placing each by its own reference),
which cells hold formulas, and what it refuses before calamine is asked for the sheet. Memory is measured (the
peak of Python's allocations), never time."""

from __future__ import annotations

import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from apps.uploads import sheets
from apps.uploads.reading import read_upload
from apps.uploads.sheets import scan_sheet, workbook_sheets
from apps.uploads.sniffing import UploadRefused, inspect_upload
from tests.uploads.files import ITEM_HEADERS, REPORT_HEADERS

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
ITEMS = "xl/worksheets/sheet2.xml"


def text(reference: str, value: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c>'


def number(reference: str, value: object) -> str:
    return f'<c r="{reference}"><v>{value}</v></c>'


def row(number_: int, *cells: str) -> str:
    return f'<row r="{number_}">{"".join(cells)}</row>'


def headers(titles: list[str]) -> str:
    return row(1, *(text(f"{chr(65 + index)}1", title) for index, title in enumerate(titles)))


def item(number_: int, reference: str = "FR-1", quantity: object = 3, *more: str) -> str:
    n = number_
    return row(
        n, text(f"A{n}", reference), text(f"B{n}", "DRUGS"), number(f"C{n}", quantity), text(f"D{n}", "KGM"), *more
    )


def worksheet(rows: str, *, before: str = "") -> str:
    return f'<worksheet xmlns="{_MAIN}">{before}<sheetData>{rows}</sheetData></worksheet>'


def hand_built(path: Path, items: str, *, target: str = "worksheets/sheet2.xml", entries: dict | None = None) -> Path:
    """A workbook as a zip written by hand: a Reports sheet of one report, and the Items sheet ``items``."""
    reports = worksheet(headers(REPORT_HEADERS) + row(2, text("A2", "FR-1"), text("B2", "seizure"), text("C2", "FR")))
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
            f'Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheets>'
            '<sheet name="Reports" sheetId="1" r:id="rId1"/><sheet name="Items" sheetId="2" r:id="rId2"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PACKAGE}">'
            f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/worksheet" Target="{target}"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": reports,
        ITEMS: items,
        **(entries or {}),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def scanned(path: Path, member: str = ITEMS) -> sheets.SheetScan:
    with zipfile.ZipFile(path) as archive:
        return scan_sheet(archive, member)


def items_read(path: Path) -> list[tuple[int, dict]]:
    return [
        (record.row, record.values)
        for record in read_upload(path, format="xlsx", variant="full")
        if record.part == "item"
    ]


# --- where calamine puts the cells --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("far", "extent"),
    [
        (text("XFD1048576", "far"), (1_048_576, 16_384)),  # a cell's own reference, in row 2
        (text("CZ200000", "far"), (200_000, 104)),
        (text("ZZ99999", "far"), (99_999, 702)),  # a row under 100,000: five digits
    ],
)
def test_a_cell_placed_far_by_its_own_reference_is_seen_by_the_scan(tmp_path, far, extent):
    path = hand_built(tmp_path / "far.xlsx", worksheet(headers(ITEM_HEADERS) + item(2, "FR-1", 3, far)))

    scan = scanned(path)

    assert (scan.rows, scan.columns) == extent and not scan.fits_calamine  # every cell of it held: parsed instead
    [(row_, values)] = items_read(path)
    assert (row_, values["quantity"]) == (2, Decimal("3"))


def test_rows_numbered_past_the_row_elements_count_are_seen(tmp_path):
    rows = headers(ITEM_HEADERS) + item(2) + item(99_999, "FR-1", 4, text("ZZ99999", "note"))

    scan = scanned(hand_built(tmp_path / "rows.xlsx", worksheet(rows)))

    assert (scan.rows, scan.columns, scan.fits_calamine) == (99_999, 702, False)


def test_a_sparse_sheet_within_the_limit_is_still_read_by_calamine(tmp_path):
    rows = headers(ITEM_HEADERS) + item(2) + item(500, "FR-1", 7, text("Z500", "a note far to the right"))
    path = hand_built(tmp_path / "sparse.xlsx", worksheet(rows))

    scan = scanned(path)

    assert (scan.rows, scan.columns, scan.fits_calamine) == (500, 26, True)
    assert [(row_, values["quantity"]) for row_, values in items_read(path)] == [(2, 3), (500, 7)]


@pytest.mark.parametrize("far", [text("XFE2", "far"), text("A1048577", "far"), text("A99999999", "far")])
def test_a_cell_past_the_last_row_or_column_a_sheet_has_is_refused_by_the_scan(tmp_path, far):
    path = hand_built(tmp_path / "past.xlsx", worksheet(headers(ITEM_HEADERS) + item(2, "FR-1", 3, far)))

    with pytest.raises(UploadRefused, match="last row or column"):
        scanned(path)
    with pytest.raises(UploadRefused, match="last row or column"):
        items_read(path)


@pytest.mark.parametrize(
    "cells",
    [
        '<c r="xfe2" t="inlineStr"><is><t>lower case</t></is></c>',  # calamine reads lower case letters too
        '<c t="inlineStr"><is><t>x</t></is></c>' * 16_400,  # cells without a reference follow one another
        "<c r='XFE2' t=\"inlineStr\"><is><t>in single quotes</t></is></c>",
    ],
    ids=["lower case", "without references", "single quotes"],
)
def test_cells_placed_past_the_last_column_in_other_spellings_are_refused(tmp_path, cells):
    path = hand_built(tmp_path / "past.xlsx", worksheet(headers(ITEM_HEADERS) + item(2, "FR-1", 3, cells)))

    assert not scanned(path).fits_calamine
    with pytest.raises(UploadRefused, match="last row or column"):
        items_read(path)


def test_cells_without_a_reference_far_down_are_not_given_to_calamine(tmp_path):
    # Placed after one another from the row's number: 40,000 rows by 16,000 columns for calamine.
    unnamed = '<c t="inlineStr"><is><t>x</t></is></c>' * 16_000
    rows = headers(ITEM_HEADERS) + item(2) + f'<row r="40000">{unnamed}</row>'
    path = hand_built(tmp_path / "unnamed.xlsx", worksheet(rows))

    assert not scanned(path).fits_calamine
    assert [row_ for row_, _values in items_read(path)] == [2, 40_000]


def test_a_second_reference_in_a_cell_is_the_one_calamine_uses_and_the_scan_too(tmp_path):
    twice = '<c r="E2" r="XFD900000" t="inlineStr"><is><t>x</t></is></c>'
    path = hand_built(tmp_path / "twice.xlsx", worksheet(headers(ITEM_HEADERS) + item(2, "FR-1", 3, twice)))

    assert not scanned(path).fits_calamine


def test_the_dimension_a_sheet_declares_is_not_what_calamine_holds(tmp_path):
    # calamine reserves room for the cells a sheet declares only up to 100,000 of them, and holds the grid its
    # cells span: a declared dimension costs nothing, and the scan does not take it as the sheet's extent.
    before = '<dimension ref="A1:XFD1048576"/>'
    path = hand_built(tmp_path / "declared.xlsx", worksheet(headers(ITEM_HEADERS) + item(2), before=before))

    scan = scanned(path)

    assert (scan.rows, scan.columns, scan.fits_calamine) == (2, 26, True)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Items")
    assert (sheet.height, sheet.width) == (2, 4)


# --- where the scan and calamine would read different parts -------------------------------------------------------


def test_a_sheet_whose_target_another_reader_may_resolve_otherwise_is_refused(tmp_path):
    # calamine looks "xl/./worksheets/sheet2.xml" up as it is written: it would read a part the scan never saw.
    hidden = worksheet(headers(ITEM_HEADERS) + item(2, "FR-1", 3, text("XFD1048576", "far")))
    path = hand_built(
        tmp_path / "dots.xlsx",
        worksheet(headers(ITEM_HEADERS) + item(2)),
        target="./worksheets/sheet2.xml",
        entries={"xl/./worksheets/sheet2.xml": hidden},
    )

    with pytest.raises(UploadRefused, match="damaged"):
        inspect_upload(path, name="dots.xlsx")
    with zipfile.ZipFile(path) as archive, pytest.raises(UploadRefused, match="damaged"):
        workbook_sheets(archive)


def test_parts_whose_names_differ_only_in_case_are_refused(tmp_path):
    # calamine finds a part whatever the case of its name: which of the two it would read is not known.
    hidden = worksheet(headers(ITEM_HEADERS) + item(2, "FR-1", 3, text("XFD1048576", "far")))
    path = hand_built(
        tmp_path / "case.xlsx", worksheet(headers(ITEM_HEADERS) + item(2)), entries={"XL/Worksheets/Sheet2.xml": hidden}
    )

    with pytest.raises(UploadRefused, match="damaged"):
        inspect_upload(path, name="case.xlsx")


# --- formulas and error values ------------------------------------------------------------------------------------


def formulas(count: int) -> str:
    return headers(ITEM_HEADERS) + "".join(
        row(n, text(f"A{n}", f"FR-{n}"), text(f"B{n}", "DRUGS"), f'<c r="C{n}"><f>B{n}*{n}</f><v>1</v></c>')
        for n in range(2, count + 2)
    )


def test_every_formula_of_a_sheet_of_many_is_found_at_its_cell(tmp_path):
    path = hand_built(
        tmp_path / "formulas.xlsx", worksheet(formulas(30_000) + row(30_002, '<c r="D30002" t="e"><v>#N/A</v></c>'))
    )

    scan = scanned(path)

    assert scan.marked is not None and len(scan.marked) == 30_001
    assert scan.marked[(2, 2)] == "=B2*2" and scan.marked[(30_001, 2)] == "=B30001*30001"
    assert scan.marked[(30_002, 3)] == "#N/A"


def test_a_sheet_of_more_formulas_than_are_remembered_is_refused_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_MARKED_CELLS", 1_000)
    path = hand_built(tmp_path / "formulas.xlsx", worksheet(formulas(1_001)))
    assert scanned(hand_built(tmp_path / "fewer.xlsx", worksheet(formulas(1_000)))).marked

    with pytest.raises(UploadRefused, match="paste"):
        scanned(path)


def prefixed(rows: str) -> str:
    """The same sheet with every element of the main namespace under the prefix ``x``, as some writers put it."""
    for tag in ("row", "c", "is", "t", "f", "v"):
        rows = (
            rows.replace(f"<{tag}>", f"<x:{tag}>").replace(f"<{tag} ", f"<x:{tag} ").replace(f"</{tag}>", f"</x:{tag}>")
        )
    return f'<x:worksheet xmlns:x="{_MAIN}"><x:sheetData>{rows}</x:sheetData></x:worksheet>'


def test_a_sheet_of_prefixed_elements_is_scanned_a_part_at_a_time(tmp_path):
    rows = (
        formulas(3)
        + "".join(item(n, f"FR-{n}") for n in range(5, 120_001))
        + item(120_002, "FR-9", 5, text("AA120002", "x"))
    )
    path = hand_built(tmp_path / "prefixed.xlsx", prefixed(rows))
    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo(ITEMS).file_size
    assert size > 30_000_000

    tracemalloc.start()
    try:
        scan = scanned(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert (scan.rows, scan.columns) == (120_002, 104)
    assert scan.marked == {(2, 2): "=B2*2", (3, 2): "=B3*3", (4, 2): "=B4*4"}
    assert peak < size / 4, f"{peak / 1e6:.1f} MB allocated to scan {size / 1e6:.1f} MB"  # a megabyte at a time
    assert [row_ for row_, _values in items_read(path)][-2:] == [120_000, 120_002]


@pytest.mark.parametrize("entry", ["xl/worksheets/sheet2.xml", "xl/media/sheet.bin"])
def test_a_part_calamine_might_open_that_the_list_does_not_name_is_scanned_and_refused(tmp_path, entry):
    # A target written "xl/worksheets/…" is read by calamine as written and by the scan under xl/: whatever part
    # calamine might open as a sheet is scanned, and one whose cells it could not hold refuses the workbook.
    # (13 million cells from A1 to Z500000: past what calamine may hold, not past what it could, were it asked.)
    hidden = worksheet(headers(ITEM_HEADERS) + item(2, "FR-1", 3, text("Z500000", "far")))
    decoy = worksheet(headers(ITEM_HEADERS) + item(2))
    path = hand_built(
        tmp_path / "decoy.xlsx",
        decoy,
        target="xl/worksheets/sheet2.xml",
        entries={"xl/xl/worksheets/sheet2.xml": decoy, entry: hidden},
    )

    with pytest.raises(UploadRefused, match="damaged"):
        items_read(path)


def test_a_part_of_cells_calamine_could_hold_is_not_refused_for_being_unnamed(tmp_path):
    # The calculation chain lists cells as a sheet does (<c r="A1" i="1"/>): within the grid, it is no reason.
    chain = f'<calcChain xmlns="{_MAIN}"><c r="C2" i="2"/><c r="C3"/></calcChain>'
    path = hand_built(
        tmp_path / "chain.xlsx", worksheet(headers(ITEM_HEADERS) + item(2)), entries={"xl/calcChain.xml": chain}
    )

    assert [number_ for number_, _cells in items_read(path)] == [2]


def test_a_comment_that_ends_the_cells_for_the_scan_only_sends_the_sheet_row_by_row(tmp_path):
    # calamine skips a comment; the scan would take its "</sheetData>" for the end of the cells.
    rows = headers(ITEM_HEADERS) + item(2) + "<!-- </sheetData> -->" + item(3, "FR-1", 3, text("XFD900000", "x"))
    path = hand_built(tmp_path / "comment.xlsx", worksheet(rows))

    assert not scanned(path).fits_calamine
    assert [number_ for number_, _cells in items_read(path)][:2] == [2, 3]


def test_column_letters_past_the_last_column_are_refused_before_any_arithmetic():
    with pytest.raises(UploadRefused):
        sheets.column_index("A" * 1_000_000)
    assert sheets.column_index("XFD") == 16_383


def test_a_row_of_more_cells_than_a_sheet_has_columns_is_refused_as_it_is_parsed(tmp_path):
    # Every cell at one place (the position never passes the last column), parsed row by row (lower case).
    crowded = row(2, *('<c r="a2"><v>1</v></c>' for _ in range(sheets.LAST_COLUMN + 1)))
    path = hand_built(tmp_path / "crowded.xlsx", worksheet(headers(ITEM_HEADERS) + crowded))

    assert not scanned(path).fits_calamine
    with pytest.raises(UploadRefused, match="last row or column"):
        items_read(path)
