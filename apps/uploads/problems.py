"""The problems an upload's check finds, each at its cell, in the order a single pass over the file finds them: the
first ``RILO_UPLOADS_MAX_PROBLEMS`` of them kept (as many as are stored), all of them counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

from django.conf import settings

from .cells import CellProblem, Record
from .choices import ProblemKind

REFERENCE = "national_reference"
# Where in the check a problem is found: reading a row (by its place in the file), the file as a whole,
# checking a report (by its number: its reference's first appearance), its possible duplicates.
READING, FILE, CHECKING, DUPLICATES = range(4)


@dataclass(slots=True)
class Problem:
    """One problem at one cell (an error, or a possible duplicate)."""

    kind: str
    sheet: str
    row: int | None
    column: str
    field: str
    national_reference: str
    message: str
    personal: bool = False  # its message names what only a user who may see personal data may read


class Problems:
    """The problems found so far — the first ``RILO_UPLOADS_MAX_PROBLEMS`` of them kept, in the order found (which
    is the file's), the others only counted — and which rows and reports have errors, whatever is kept.

    Each problem is found ``at`` a place in the check (a phase and a number in it, set by the checker as it
    goes): the problems of the shares of a check, each in that order, are joined in it (:meth:`joined`), the first
    ones kept. ``found`` counts them all (the checker compares it before and after a report's check)."""

    def __init__(self) -> None:
        self.keep = int(settings.RILO_UPLOADS_MAX_PROBLEMS)
        self.kept: list[Problem] = []
        self.places: list[tuple[int, int]] = []  # where each problem kept was found
        self.at: tuple[int, int] = (READING, 0)
        self.found = 0  # problems, kept or not
        self.errors = 0  # of them, errors
        self.error_rows: set[tuple[str, int | None]] = set()
        self.error_references: set[str] = set()
        self.duplicate_reports: set[str] = set()
        self.read_cells: set[tuple[str, int | None, str]] = set()  # (sheet, row, field) the reader found wrong

    def error(self, record: Record | None, name: str, message: str, *, reference: str = "") -> None:
        sheet = record.sheet if record is not None else ""
        row = record.row if record is not None else None
        column = record.cells.get(name, "") if record is not None else ""
        self._add(Problem(ProblemKind.ERROR, sheet, row, column, name, reference, message))
        self.error_rows.add((sheet, row))
        self.error_references.add(reference)

    def cell(self, problem: CellProblem, reference: str) -> None:
        self._add(
            Problem(
                ProblemKind.ERROR, problem.sheet, problem.row, problem.column, problem.field, reference, problem.message
            )
        )
        self.error_rows.add((problem.sheet, problem.row))
        self.error_references.add(reference)
        self.read_cells.add((problem.sheet, problem.row, problem.field))

    def duplicate(self, record: Record | None, reference: str, message: str, *, personal: bool = False) -> None:
        """A possible duplicate, at the national reference's cell of the report's row; ``personal``: found by
        personal data (a conveyance's identifier), which its message confirms."""
        sheet, row, column = (record.sheet, record.row, record.cells.get(REFERENCE, "")) if record else ("", None, "")
        self._add(Problem(ProblemKind.DUPLICATE, sheet, row, column, REFERENCE, reference, message, personal))
        self.duplicate_reports.add(reference)

    def _add(self, problem: Problem) -> None:
        self.found += 1
        self.errors += problem.kind == ProblemKind.ERROR
        if len(self.kept) < self.keep:
            self.kept.append(problem)
            self.places.append(self.at)

    @classmethod
    def joined(cls, shares: Sequence[Problems]) -> Problems:
        """The problems of several shares of one check, in the order one pass over the file finds them (a sort
        that keeps the order of problems found at the same place), the first ones kept; the counts of them all."""
        joined = cls()
        ordered = sorted(
            ((place, problem) for share in shares for place, problem in zip(share.places, share.kept, strict=True)),
            key=itemgetter(0),
        )[: joined.keep]
        joined.kept = [problem for _, problem in ordered]
        joined.places = [place for place, _ in ordered]
        for share in shares:
            joined.found += share.found
            joined.errors += share.errors
            joined.error_rows |= share.error_rows
            joined.error_references |= share.error_references
            joined.duplicate_reports |= share.duplicate_reports
            joined.read_cells |= share.read_cells
        joined.at = max(joined.places, default=joined.at)
        return joined
