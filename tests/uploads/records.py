"""Rows of an upload as the reader gives them, built directly (no file): for the checker's tests.

``sheet(...)`` numbers rows as a workbook shows them (the header is row 1) and names each value's cell by its
column letter, as the reader does."""

from __future__ import annotations

from string import ascii_uppercase
from typing import Any

from apps.uploads.cells import CellProblem, Record

__all__ = ["CellProblem", "NoProgress", "Record", "item", "report", "sheet"]


SHEETS = {"report": "Reports", "item": "Items", "route": "Route", "conveyance": "Conveyances", "party": "Parties"}


def sheet(part: str, *rows: dict[str, Any]) -> list[Record]:
    """Records of one sheet: every row has the columns of the first, in its order (A, B, C…)."""
    columns = list(rows[0]) if rows else []
    cells = {name: ascii_uppercase[index] for index, name in enumerate(columns)}
    return [
        Record(part=part, sheet=SHEETS[part], row=number, values={name: row.get(name) for name in columns}, cells=cells)
        for number, row in enumerate(rows, start=2)
    ]


def report(reference: str, **values: Any) -> dict[str, Any]:
    """A report row of the simplified form, as typed (codes and labels as text)."""
    return {
        "national_reference": reference,
        "kind": "seizure",
        "seizure_date": "2025-03-14",
        "country_of_seizure": "FR",
        "place": "Le Havre",
        "transport_mode": "3",
        "detection_methods": ["XRAY"],
        **values,
    }


def item(reference: str, **values: Any) -> dict[str, Any]:
    """An item row: cigarettes, in sticks."""
    return {
        "national_reference": reference,
        "commodity_type": "cigarettes",
        "quantity": "200000",
        "unit": "STK",
        "description": "Cigarettes in a sofa",
        **values,
    }


class NoProgress:
    """Counts the progress calls (the checker reports as it goes)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, read: int, checked: int) -> None:
        self.calls.append((read, checked))
