"""An upload is recognised by its content, and files that must not be opened are refused before reading."""

from __future__ import annotations

import struct
import zipfile

import pytest
from django.test import override_settings

from apps.uploads.sniffing import MAX_ZIP_ENTRIES, UploadRefused, inspect_upload
from tests.uploads.files import REPORT_HEADERS, with_extra_entries, write_csv, write_xlsx

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def refusal(path, name="upload") -> str:
    with pytest.raises(UploadRefused) as excinfo:
        inspect_upload(path, name=name)
    return excinfo.value.message


def test_a_workbook_is_xlsx_whatever_its_name(tmp_path):
    path = write_xlsx(tmp_path / "seizures.csv", {"Reports": [REPORT_HEADERS]})
    assert inspect_upload(path, name="seizures.csv") == "xlsx"


def test_a_text_file_is_csv_whatever_its_name(tmp_path):
    path = write_csv(tmp_path / "seizures.xlsx", [REPORT_HEADERS, ["FR-1", "seizure", "FR", "2024-01-02", "1"]])
    assert inspect_upload(path, name="seizures.xlsx") == "csv"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "windows-1252"])
def test_csv_in_each_encoding_read_here_is_csv(tmp_path, encoding):
    path = write_csv(
        tmp_path / "s.csv", [REPORT_HEADERS, ["FR-é", "seizure", "FR", "2024-01-02", "1"]], encoding=encoding
    )
    assert inspect_upload(path, name="s.csv") == "csv"


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "empty" in refusal(path, "empty.csv")


def test_an_image_named_csv_is_refused_as_an_image(tmp_path):
    path = tmp_path / "seizures.csv"
    path.write_bytes(PNG + bytes(range(256)) * 4)
    assert "image" in refusal(path, "seizures.csv")


def test_a_pdf_named_xlsx_is_refused(tmp_path):
    path = tmp_path / "seizures.xlsx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    assert "PDF" in refusal(path)


def test_binary_data_without_a_known_signature_is_refused(tmp_path):
    path = tmp_path / "seizures.csv"
    path.write_bytes(b"abc\x00\x01\x02\x03" * 100)
    assert "binary" in refusal(path)


def test_an_old_excel_file_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "seizures.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    assert ".xlsx" in refusal(path)


@override_settings(RILO_UPLOAD_MAX_BYTES=100)
def test_a_file_over_the_size_limit_is_refused(tmp_path):
    path = write_csv(tmp_path / "big.csv", [REPORT_HEADERS] * 10)
    assert "larger than" in refusal(path)


def test_a_workbook_with_macros_is_refused_without_being_opened(tmp_path):
    source = write_xlsx(tmp_path / "plain.xlsx", {"Reports": [REPORT_HEADERS]})
    path = with_extra_entries(
        source,
        tmp_path / "macros.xlsx",
        {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"},
        content_types='<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>',
    )
    assert "macros" in refusal(path, "macros.xlsx")


def test_a_macro_enabled_content_type_alone_is_refused(tmp_path):
    source = write_xlsx(tmp_path / "plain.xlsx", {"Reports": [REPORT_HEADERS]})
    path = tmp_path / "macros.xlsm"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
            copy.writestr(info.filename, data)
    assert "macros" in refusal(path)


def test_a_zip_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (64 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    assert "zip bomb" in refusal(path)


def test_a_zip_declaring_a_huge_entry_is_refused_from_its_directory_alone(tmp_path):
    # The entry's data is not even a valid stream: had anything been decompressed, reading would have failed
    # differently. The directory's declared size is enough to refuse.
    path = tmp_path / "declared.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    data = bytearray(path.read_bytes())
    directory = data.rfind(b"PK\x01\x02")  # the last entry's central directory header
    struct.pack_into("<I", data, directory + 24, 0xFFFFFFF0)  # its uncompressed size
    path.write_bytes(bytes(data))
    assert "zip bomb" in refusal(path)


def test_a_zip_of_too_many_entries_is_refused(tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for number in range(MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"xl/part{number}.xml", "<x/>")
    assert "too many parts" in refusal(path)


def test_a_zip_that_is_no_office_file_is_refused(tmp_path):
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.txt", "hello")
    assert "zip archive" in refusal(path)


def test_a_word_document_named_xlsx_is_refused(tmp_path):
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    assert "not an Excel workbook" in refusal(path)


def test_a_damaged_zip_is_refused(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x14\x00" * 40)
    assert "damaged" in refusal(path)
