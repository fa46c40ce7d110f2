"""The XLSX writer's sheet name: at most 31 characters, cut before it is escaped, quotes escaped."""

from __future__ import annotations

import io

import openpyxl
import pytest

from apps.core.xlsx import xlsx_chunks


@pytest.mark.parametrize("name", ["x" * 29 + "&y", 'Rapports "saisies" & <autres>', "é" * 40])
def test_the_sheet_name_is_cut_to_31_characters_then_escaped(name):
    data = b"".join(xlsx_chunks([["a", "b"]], sheet_name=name))
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == [name[:31]]
    assert [[cell.value for cell in row] for row in book.active.iter_rows()] == [["a", "b"]]  # type: ignore[union-attr]
