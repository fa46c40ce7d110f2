"""What reading an upload gives (:mod:`apps.uploads.reading`): one :class:`Record` per row of each part, the
problems of cells (:class:`CellProblem`) and of the file (:class:`ReadSummary`), and those of a header row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from . import columns as upload_columns


def storable(text: str) -> str:
    """Text a problem quotes as PostgreSQL can store it: a NUL character (which no text stored may hold, and
    which the readers keep out of values) shown as U+FFFD, so that quoting one never fails a check."""
    return text.replace("\x00", "\ufffd")


# Whether a reading converts the cells of a row, asked of its national reference (as converted; None if blank).
Wanted = Callable[[Any], bool]

# The sheet name of a CSV in problems and in its marked copy.
CSV_SHEET = "CSV"


@dataclass
class CellProblem:
    """What is wrong at one cell (or, with ``row`` 1 and a header, one column), and what to do about it."""

    sheet: str
    row: int
    column: str
    field: str
    message: str


@dataclass(slots=True)
class Record:
    """One row of one part as read: ``values`` by field name (blank cells ``None``; vocabulary terms as typed),
    ``cells`` the column letter or CSV header of each field, ``row`` as the spreadsheet numbers it (1-based).

    ``cells`` is the layout's own mapping, shared by every record of the sheet (or CSV part): read it, never
    change it; its keys are the fields of the layout, given blank when ``values`` leaves them out. ``problems``
    is a tuple when there are none (one for every record). A 100,000-row file holds some 400,000 records until
    they are checked."""

    part: str
    sheet: str
    row: int
    values: dict[str, Any]
    cells: dict[str, str]
    problems: Sequence[CellProblem] = ()
    # The values as the check holds them until its report is checked (``values`` then empty): the field names (one
    # tuple shared by the rows of a layout) and the values, in order — a third of a dictionary's memory.
    held: tuple[tuple[str, ...], tuple[Any, ...]] | None = None

    def pairs(self) -> Iterable[tuple[str, Any]]:
        """The values by field name, however held."""
        return zip(*self.held, strict=True) if self.held is not None else self.values.items()

    def given(self) -> dict[str, Any]:
        """The values, however held."""
        return dict(self.pairs()) if self.held is not None else self.values


@dataclass
class ReadSummary:
    """What reading found out: the format, the CSV's encoding and separator, the rows per part, and the
    problems of the file as a whole (complete once every record has been consumed)."""

    format: str
    encoding: str = ""
    separator: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    problems: list[CellProblem] = field(default_factory=list)


def header_problems(sheet: str, match: upload_columns.HeaderMatch) -> list[CellProblem]:
    """The problems of a header row: unknown, repeated and missing columns (row 1, at the header)."""
    problems = [
        CellProblem(
            sheet,
            1,
            header,
            "",
            _(
                "Unknown column %(header)r: remove the column, or rename it to a header of the template (see its "
                "Read me); nothing can be saved while it is there."
            )
            % {"header": header},
        )
        for header in match.unknown
    ]
    problems.extend(
        CellProblem(sheet, 1, header, "", _("The column %(header)r appears twice: keep one.") % {"header": header})
        for header in match.repeated
    )
    problems.extend(
        CellProblem(
            sheet,
            1,
            "",
            column.field.name,
            _("The required column %(header)r is missing: add it (see the template).") % {"header": str(column.header)},
        )
        for column in match.missing
    )
    return problems
