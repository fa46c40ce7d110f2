"""An upload that updates a draft: a cell given blank clears the draft's field, a field the file has no column for
keeps the draft's value, whatever form the file takes (the rows are held without their blanks until checked)."""

from __future__ import annotations

import pytest

from apps.reports.choices import ReportStatus
from apps.uploads.checking import check_records
from apps.uploads.reading import read_upload
from tests.builders import build_report, vocabulary

from .files import write_csv, write_xlsx
from .records import NoProgress

pytestmark = pytest.mark.django_db


_HEADERS = ["National reference", "Kind of case", "Country of seizure", "Date of seizure", "Place"]
_ITEM = ["National reference", "Commodity category", "Commodity type", "Quantity", "Unit"]


@pytest.mark.parametrize("form", ["xlsx", "csv", "csv sheet"])
def test_a_blank_cell_clears_a_drafts_field_and_a_column_the_file_lacks_keeps_it(alice, tmp_path, form):
    vocabulary()
    # The report's row holds its given values only until it is checked; its blanks are given back then.
    build_report(by=alice, reference="UP-DRAFT", status=ReportStatus.DRAFT, place="Le Havre", customs_office="Port")
    report_row = ["UP-DRAFT", "seizure", "FR", "2025-03-14", ""]
    item_row = ["UP-DRAFT", "tobacco", "cigarettes", "200000", "STK"]
    if form == "xlsx":
        path = write_xlsx(tmp_path / "u.xlsx", {"Reports": [_HEADERS, report_row], "Items": [_ITEM, item_row]})
    else:
        rows = [[*_HEADERS, *_ITEM[1:]], [*report_row, *item_row[1:]]]
        path = write_csv(tmp_path / "u.csv", rows) if form == "csv" else write_xlsx(tmp_path / "u.xlsx", {"CSV": rows})
    reading = read_upload(path, format="csv" if form == "csv" else "xlsx", variant="full")

    outcome = check_records(reading, actor=alice, variant="full", progress=NoProgress())

    [checked] = outcome.reports
    assert checked.existing_id is not None
    assert checked.report_values["place"] == ""  # given blank: cleared
    assert "customs_office" not in checked.report_values  # no column for it: the draft keeps its own
