"""Workbooks built to cost memory or to expand entities: refused from their zip directory, or by the XML parser
itself, before they cost anything. Memory is measured (the peak of Python's allocations), never time."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from openpyxl import load_workbook

from apps.uploads import marked, sheets
from apps.uploads.cells import CellProblem
from apps.uploads.marked import marked_copy, marked_copy_file
from apps.uploads.reading import read_upload
from apps.uploads.sniffing import MAX_CONTENT_TYPES_BYTES, UploadRefused, inspect_upload, max_sheet_bytes
from tests.uploads.files import ITEM_HEADERS, REPORT_HEADERS, declaring, write_csv, write_xlsx

_TYPES = '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
_WORKBOOK_TYPE = (
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
)
_SST = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _padding(size: int) -> bytes:
    """``size`` bytes of XML comments that compress about 70 times: under every ratio limit, so only the size
    can refuse them."""
    block = b"<!--" + os.urandom(8).hex().encode() + b" " * 1000 + b"-->"
    return block * (size // len(block) + 1)


def _workbook(tmp_path: Path, replaced: dict[str, bytes]) -> Path:
    """A small real workbook with some of its parts replaced (or added)."""
    source = write_xlsx(tmp_path / "source.xlsx", {"Reports": [REPORT_HEADERS, ["FR-1", "seizure", "FR"]]})
    target = tmp_path / "hostile.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            if info.filename not in replaced:
                copy.writestr(info.filename, original.read(info.filename))
        for name, data in replaced.items():
            copy.writestr(name, data)
    return target


def _peak_bytes(call: Callable[[], Any]) -> tuple[Any, int]:
    """What ``call`` gave (or the exception it raised) and the peak of memory Python allocated meanwhile."""
    tracemalloc.start()
    try:
        try:
            result: Any = call()
        except UploadRefused as refusal:
            result = refusal
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_huge_content_types_part_is_refused_from_its_declared_size_without_reading_it(tmp_path):
    huge = _TYPES.encode() + _padding(40 * 1024 * 1024) + _WORKBOOK_TYPE.encode() + b"</Types>"
    path = _workbook(tmp_path, {"[Content_Types].xml": huge})
    assert path.stat().st_size < 2 * 1024 * 1024  # a small upload

    refusal, peak = _peak_bytes(lambda: inspect_upload(path, name="seizures.xlsx"))

    assert isinstance(refusal, UploadRefused) and "zip bomb" in refusal.message
    assert peak < 4 * 1024 * 1024, f"{peak / 1e6:.1f} MB allocated to refuse it"


def test_a_content_types_part_just_under_its_limit_is_read_within_it(tmp_path):
    types = _TYPES.encode() + _padding(MAX_CONTENT_TYPES_BYTES - 100_000) + _WORKBOOK_TYPE.encode() + b"</Types>"
    path = _workbook(tmp_path, {"[Content_Types].xml": types})

    found, peak = _peak_bytes(lambda: inspect_upload(path, name="seizures.xlsx"))

    assert found == "xlsx"
    assert peak < 8 * 1024 * 1024, f"{peak / 1e6:.1f} MB allocated"


def test_a_small_part_compressed_more_than_any_spreadsheet_is_refused(tmp_path):
    path = _workbook(tmp_path, {"xl/media/filler.bin": b"\x00" * 600_000})  # about 1,000 times

    with pytest.raises(UploadRefused, match="zip bomb"):
        inspect_upload(path, name="seizures.xlsx")


def test_a_sheet_that_inflates_past_its_declared_size_is_refused_as_damaged_when_read(tmp_path):
    rows = [REPORT_HEADERS, *([f"FR-{number}", "seizure", "FR"] for number in range(20_000))]
    path = write_xlsx(tmp_path / "seizures.xlsx", {"Reports": rows})
    with zipfile.ZipFile(path) as archive:
        real = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    declaring(path, "xl/worksheets/sheet1.xml", real // 20)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == real // 20
        assert len(archive.read("xl/worksheets/sheet1.xml")) == real // 20  # its checksum that of what is declared
    assert inspect_upload(path, name="seizures.xlsx") == "xlsx"  # its directory declares nothing out of the way

    # Python's zip reader stops at the declared size, calamine's would inflate the rest: the scan of the sheet,
    # which reads it before calamine may, refuses it as damaged.
    with zipfile.ZipFile(path) as archive, pytest.raises(UploadRefused, match="damaged"):
        sheets.scan_sheet(archive, "xl/worksheets/sheet1.xml")
    with pytest.raises(UploadRefused, match="damaged"):
        list(read_upload(path, format="xlsx", encoding=None, variant="full"))


def test_shared_strings_that_inflate_past_their_declared_size_are_refused_before_calamine_reads_them(tmp_path):
    # calamine reads the shared strings as it opens the workbook, through a zip reader that inflates an entry to
    # its end: a few kilobytes declared may hold hundreds of megabytes.
    strings = "".join(f"<si><t>seizure {number}</t></si>" for number in range(20_000))
    path = _workbook(tmp_path, {"xl/sharedStrings.xml": f"{_SST}{strings}</sst>".encode()})
    with zipfile.ZipFile(path) as archive:
        real = archive.getinfo("xl/sharedStrings.xml").file_size
    declaring(path, "xl/sharedStrings.xml", real // 50)

    with pytest.raises(UploadRefused, match="damaged"):
        inspect_upload(path, name="seizures.xlsx")
    with pytest.raises(UploadRefused, match="damaged"):
        list(read_upload(path, format="xlsx", encoding=None, variant="full"))


def test_a_part_that_inflates_short_of_its_declared_size_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "seizures.xlsx", {"Reports": [REPORT_HEADERS, ["FR-1", "seizure", "FR"]]})
    with zipfile.ZipFile(path) as archive:
        real = archive.getinfo("xl/styles.xml").file_size
    declaring(path, "xl/styles.xml", real + 1000)

    with pytest.raises(UploadRefused, match="damaged"):
        inspect_upload(path, name="seizures.xlsx")


def test_a_part_compressed_otherwise_than_spreadsheets_are_is_refused(tmp_path):
    source = write_xlsx(tmp_path / "source.xlsx", {"Reports": [REPORT_HEADERS, ["FR-1", "seizure", "FR"]]})
    path = tmp_path / "bzip2.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as copy:
        for info in original.infolist():
            method = zipfile.ZIP_BZIP2 if info.filename == "xl/styles.xml" else zipfile.ZIP_DEFLATED
            copy.writestr(info.filename, original.read(info.filename), compress_type=method)

    with pytest.raises(UploadRefused, match="damaged"):
        inspect_upload(path, name="seizures.xlsx")


def test_the_sheet_limit_follows_the_row_limit(tmp_path):
    sheet = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + _padding(2_000_000)
    path = _workbook(tmp_path, {"xl/worksheets/sheet1.xml": sheet + b"<sheetData/></worksheet>"})
    assert inspect_upload(path, name="seizures.xlsx") == "xlsx"

    with override_settings(RILO_UPLOAD_MAX_ROWS=200):
        assert max_sheet_bytes() < len(sheet)
        with pytest.raises(UploadRefused, match="zip bomb"):
            inspect_upload(path, name="seizures.xlsx")


def test_the_default_limits_allow_a_few_hundred_megabytes_of_sheet():
    assert 200 * 1024 * 1024 < max_sheet_bytes() < 1024 * 1024 * 1024


def _doctype_strings(encoding: str) -> bytes:
    document = (
        f'<?xml version="1.0" encoding="{encoding}"?><!--{"x" * 5000}-->'
        '<!DOCTYPE sst [<!ENTITY e "EXPANDED-ENTITY">]>'
        f"{_SST}<si><t>&e;</t></si></sst>"
    )
    return document.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_document_type_after_a_long_comment_or_in_utf16_is_refused_by_the_parser(tmp_path, encoding):
    path = tmp_path / "strings.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/sharedStrings.xml", _doctype_strings(encoding))

    with zipfile.ZipFile(path) as archive, pytest.raises(UploadRefused, match="never read here"):
        sheets.shared_strings(archive)


@pytest.mark.parametrize("part", ["[Content_Types].xml", "xl/workbook.xml"])
def test_a_document_type_in_the_content_types_or_the_workbook_is_refused(tmp_path, part):
    path = _workbook(tmp_path, {})
    with zipfile.ZipFile(path) as archive:
        original = archive.read(part).decode()
    hidden = "<!--" + "y" * 5000 + '--><!DOCTYPE x SYSTEM "http://example.org/x">'
    at = original.index("?>") + 2 if original.startswith("<?xml") else 0
    declared = original[:at] + hidden + original[at:]
    path = _workbook(tmp_path, {part: declared.encode()})

    def read() -> object:
        inspect_upload(path, name="seizures.xlsx")
        with zipfile.ZipFile(path) as archive:
            return sheets.workbook_sheets(archive)

    with pytest.raises(UploadRefused, match="never read here"):
        read()


def test_too_many_shared_strings_are_refused_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_SHARED_STRINGS", 1000)
    path = tmp_path / "strings.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        items = "".join(f"<si><t>text {number}</t></si>" for number in range(1001))
        archive.writestr("xl/sharedStrings.xml", f"{_SST}{items}</sst>")

    with zipfile.ZipFile(path) as archive, pytest.raises(UploadRefused, match="split it into several uploads"):
        sheets.shared_strings(archive)


def test_too_much_shared_text_is_refused_before_it_is_all_held(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_SHARED_TEXT", 1_000_000)
    path = tmp_path / "strings.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        item = "<si><t>" + "A" * 1990 + "{}</t></si>"
        archive.writestr("xl/sharedStrings.xml", _SST + "".join(item.format(n) for n in range(20_000)) + "</sst>")

    with zipfile.ZipFile(path) as archive:
        refusal, peak = _peak_bytes(lambda: sheets.shared_strings(archive))

    assert isinstance(refusal, UploadRefused) and "split it" in refusal.message
    assert peak < 8 * 1024 * 1024, f"{peak / 1e6:.1f} MB allocated"  # of 40 MB of text


# --- the marked copy -------------------------------------------------------------------------------------------


def _far_cell(path: Path, member: str) -> None:
    """Put a cell at XFD1048576 in ``member``: the sheet is then parsed row by row (too sparse for calamine)."""
    with zipfile.ZipFile(path) as original:
        entries = {info.filename: original.read(info.filename) for info in original.infolist()}
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row></sheetData>'
    entries[member] = entries[member].replace(b"</sheetData>", far)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as rewritten:
        for name, data in entries.items():
            rewritten.writestr(name, data)


def test_the_marked_copy_holds_only_the_sheets_the_check_reads(tmp_path):
    path = write_xlsx(
        tmp_path / "upload.xlsx",
        {
            "Read me": [["Explanations"]],
            "Notes": [["anything"]] * 50,
            "Reports": [REPORT_HEADERS, ["FR-1", "seizure", "FR"]],
            "Items": [ITEM_HEADERS, ["FR-1", "DRUGS", 3, "KGM"]],
            "Items (old)": [ITEM_HEADERS, ["FR-1", "DRUGS", 9, "KGM"]],
        },
    )
    problems = [CellProblem("Notes", 1, "", "", "The sheet Notes is not read.")]

    copy = load_workbook(io.BytesIO(marked_copy(path, format="xlsx", problems=problems, variant="full")))

    assert copy.sheetnames == ["Errors", "Reports", "Items"]
    assert [cell.value for cell in copy["Items"][2]] == ["FR-1", "DRUGS", 3, "KGM"]
    assert copy["Errors"]["A2"].value == "Notes"  # its problem is still listed


def test_the_marked_copy_stops_at_the_row_limit(tmp_path):
    rows = [[f"FR-{number}", "seizure", "FR"] for number in range(5)]
    path = write_xlsx(tmp_path / "upload.xlsx", {"Reports": [REPORT_HEADERS, *rows]})
    assert marked_copy(path, format="xlsx", problems=[], variant="full")

    with override_settings(RILO_UPLOAD_MAX_ROWS=4), pytest.raises(UploadRefused, match="more than 4 rows"):
        marked_copy(path, format="xlsx", problems=[], variant="full")


def test_the_marked_copy_parses_the_shared_strings_once_for_every_sheet(tmp_path, monkeypatch):
    path = write_xlsx(
        tmp_path / "upload.xlsx",
        {"Reports": [REPORT_HEADERS, ["FR-1", "seizure", "FR"]], "Items": [ITEM_HEADERS, ["FR-1", "DRUGS", 3, "KGM"]]},
    )
    _far_cell(path, "xl/worksheets/sheet1.xml")
    _far_cell(path, "xl/worksheets/sheet2.xml")
    parsed: list[int] = []
    parse = marked.shared_strings

    def counted(archive: zipfile.ZipFile) -> list[str]:
        parsed.append(1)
        return parse(archive)

    monkeypatch.setattr(marked, "shared_strings", counted)

    copy = load_workbook(io.BytesIO(marked_copy(path, format="xlsx", problems=[], variant="full")), read_only=True)

    assert copy["Items"]["A2"].value == "FR-1" and copy["Reports"]["A2"].value == "FR-1"
    assert len(parsed) == 1


def test_the_marked_copy_is_written_to_a_temporary_file_not_to_memory(tmp_path):
    rows = [[os.urandom(12).hex(), "seizure", os.urandom(100).hex(), os.urandom(100).hex()] for _row in range(20_000)]
    path = write_csv(tmp_path / "upload.csv", [REPORT_HEADERS, *rows])

    copy, peak = _peak_bytes(lambda: marked_copy_file(path, format="csv", problems=[]))

    with copy:
        size = len(copy.read())
    assert size > 3_000_000
    # Rows are written a few hundred at a time (the encoding is detected from a sample of the file, the larger part
    # of this); held in memory, the copy would cost more than its whole size.
    assert peak < size / 2, f"{peak / 1e6:.1f} MB allocated for a copy of {size / 1e6:.1f} MB"
