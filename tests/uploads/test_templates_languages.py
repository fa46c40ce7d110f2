"""A template downloaded in one language uploads back in any other: its sheet titles and headers are read in every
language of the site, and its drop-down entries ("CODE — label", the label in the template's language) keep the
code."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import load_workbook

from apps.uploads.blank_files import template_xlsx
from apps.uploads.columns import match_headers, part_for_sheet, sheet_columns, sheet_parts, sheet_title
from apps.uploads.reading import read_upload
from apps.uploads.values import DROPDOWN_SEPARATOR

pytestmark = pytest.mark.django_db


def _french_template(variant: str) -> tuple[bytes, dict[str, dict[str, str]]]:
    """The template in French, and each part's headers by column key as the French template writes them."""
    with translation.override("fr"):
        data = template_xlsx(variant=variant)
        headers = {
            sheet_title(part): {column.key: str(column.header) for column in sheet_columns(part, variant=variant)}
            for part in sheet_parts(variant=variant)
        }
    return data, headers


def _list_entry(book, starting: str) -> str:
    """The entry of the hidden lists sheet that starts with ``starting`` (a code and its separator)."""
    for row in book.worksheets[-1].iter_rows(values_only=True):
        for value in row:
            if isinstance(value, str) and value.startswith(starting + DROPDOWN_SEPARATOR):
                return value
    raise AssertionError(f"no list entry for {starting!r}")


@pytest.mark.parametrize("reader_language", ["en", "es", "ru", "fr"])
def test_the_french_templates_sheets_and_headers_are_recognised_in_every_language(reader_language: str) -> None:
    data, headers = _french_template("full")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "Lisez-moi"  # the read-me is in French
    with translation.override(reader_language):
        for title, by_key in headers.items():
            part = part_for_sheet(title)
            assert part is not None, title
            sheet_headers = [cell.value for cell in book[title][1]]
            assert sheet_headers == list(by_key.values())
            match = match_headers(part, [str(header) for header in sheet_headers])
            assert (match.unknown, match.repeated, match.missing) == ((), (), ()), (reader_language, title)


def test_a_filled_in_french_template_reads_back_in_spanish_with_the_codes(tmp_path: Path) -> None:
    data, headers = _french_template("simplified")
    book = load_workbook(io.BytesIO(data))
    kind_entry = _list_entry(book, "seizure")
    unit_entry = _list_entry(book, "KGM")
    country_entry = _list_entry(book, "DE")
    assert kind_entry != "seizure — Seizure" and unit_entry != "KGM — Kilogram"  # labels in French
    assert country_entry == "DE — Allemagne"
    [reports_title, items_title] = list(headers)
    report = {
        "national_reference": "008",
        "kind": kind_entry,
        "country_of_seizure": country_entry,
        "seizure_date": dt.date(2024, 3, 5),
    }
    book[reports_title].append([report.get(key) for key in headers[reports_title]])
    item = {"national_reference": "008", "quantity": "2,5", "unit": unit_entry, "commodity_category": "DRUGS"}
    book[items_title].append([item.get(key) for key in headers[items_title]])
    path = tmp_path / "rellenado.xlsx"
    book.save(path)
    with translation.override("es"):
        reading = read_upload(path, format="xlsx", variant="simplified")
        read_report, first = list(reading)
    assert reading.summary.problems == []
    assert (read_report.values["kind"], read_report.values["country_of_seizure"]) == ("seizure", "DE")
    assert read_report.values["seizure_date"] == dt.date(2024, 3, 5)
    assert (first.values["unit"], str(first.values["quantity"])) == ("KGM", "2.5")
