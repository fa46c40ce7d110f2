"""Reading a CSV upload (:mod:`apps.uploads.reading` for the whole): its encoding and separator, then its rows
into records of the CSV form's parts (:func:`csv_records`, also what reads the CSV form from a workbook's sheet)."""

from __future__ import annotations

import codecs
import csv
import itertools
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import columns as upload_columns
from . import values as upload_values
from .cells import CSV_SHEET, CellProblem, ReadSummary, Record, Wanted, header_problems, storable
from .columns import REFERENCE
from .messages import formula_message, nul_message, too_many_rows_message
from .sheets import column_letters
from .sniffing import UploadRefused

# The encodings an officer may choose for a CSV (none chosen: detected), as the upload form, the API and the
# service take them: (name, label). The name is what an upload keeps as chosen; the codec read with follows from
# it and the file's bytes (:func:`csv_codec`: a byte-order mark, UTF-16's byte order).
ENCODINGS: tuple[tuple[str, Any], ...] = (
    ("utf-8", gettext_lazy("UTF-8 (with or without BOM)")),
    ("utf-16", gettext_lazy("UTF-16")),
    ("windows-1252", gettext_lazy("Windows-1252 (Western European)")),
)
ENCODING_NAMES = tuple(name for name, _label in ENCODINGS)
SEPARATORS = (",", ";", "\t")

_CHUNK = 1024 * 1024
_CONVERTED = object()  # a row's cells converted (not a reference given for a row not wanted)


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """The codec of a CSV: from its byte-order mark; else UTF-16 when every other byte is zero; else UTF-8
    when the whole file decodes as UTF-8; else Windows-1252 when it decodes as that."""
    with path.open("rb") as stream:
        head = stream.read(4096)
    if found := _bom_encoding(head):
        return found
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4 and odd.count(0) > 0.4 * len(odd):
        return "utf-16-le"
    if len(head) >= 4 and even.count(0) > 0.4 * len(even):
        return "utf-16-be"
    for encoding in ("utf-8", "windows-1252"):
        if _decodes(path, encoding):
            return encoding
    raise UploadRefused(
        _("The file's text is in none of the encodings read here (UTF-8, UTF-16, Windows-1252): save it as UTF-8.")
    )


def encoding_refused_message(given: str) -> str:
    """What the sender of an encoding not among :data:`ENCODINGS` is told."""
    return _("“%(encoding)s” is not an encoding read here: choose %(choices)s, or none to have it detected.") % {
        "encoding": given,
        "choices": ", ".join(ENCODING_NAMES),
    }


def csv_codec(path: Path, encoding: str | None) -> str:
    """The codec the CSV at ``path`` is read with: that of the ``encoding`` chosen (one of :data:`ENCODINGS`;
    ``ValueError`` for another), else the one detected. The same file and choice always give the same codec:
    the commit's second check and a restart read the file as its first check did."""
    if not encoding:
        return detect_encoding(path)
    if encoding not in ENCODING_NAMES:
        raise ValueError(f"Unknown encoding {encoding!r}.")
    if encoding == "utf-8":
        return "utf-8-sig"  # a byte-order mark is not part of the first header
    if encoding == "utf-16":
        with path.open("rb") as stream:
            bom = _bom_encoding(stream.read(4))
        return bom if bom == "utf-16" else "utf-16-le"
    return encoding


def _separator(header_line: str, variant: str) -> str:
    """The separator that makes the most headers known (ties: the one that splits the line most)."""

    def score(separator: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=separator), [])
        match = upload_columns.match_headers("csv", cells, variant=variant)
        return sum(column is not None for column in match.columns), len(cells)

    return max(SEPARATORS, key=score)


def read_csv(
    path: Path, *, encoding: str | None, variant: str, summary: ReadSummary, wanted: Wanted | None = None
) -> Iterator[Record]:
    """The records of the CSV at ``path`` in ``encoding`` (one of :data:`ENCODINGS`, else detected: see
    :func:`csv_codec`), laid out as ``variant`` lays the CSV form; ``summary`` gets the codec read with, the
    separator and the file's problems; for ``wanted``, see :func:`csv_records`."""
    codec = csv_codec(path, encoding)
    summary.encoding = codecs.lookup(codec).name
    line = 1
    try:
        with path.open(encoding=codec, newline="", errors="strict") as stream:
            first = stream.readline()
            summary.separator = _separator(first.rstrip("\r\n"), variant)
            lines = _NulWatch(itertools.chain([first], stream))
            reader = csv.reader(lines, delimiter=summary.separator)
            records = csv_records(reader, variant=variant, summary=summary, nul_watch=lines, wanted=wanted)
            for line, record in records:  # noqa: B007
                yield record
    except UnicodeDecodeError as error:
        raise UploadRefused(
            _("The file is not valid %(encoding)s text (after row %(row)s): choose its encoding, or 'detect'.")
            % {"encoding": summary.encoding, "row": line}
        ) from error
    except csv.Error as error:
        message = _("The CSV cannot be read after row %(row)s: %(error)s") % {"row": line, "error": error}
        raise UploadRefused(message) from error


class _NulWatch(Iterator[str]):
    """A CSV's lines as read, telling whether one held a NUL character (which no text stored may hold): the
    rows are searched for it only once a line had one."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.found = False

    def __next__(self) -> str:
        line = next(self._lines)
        if "\x00" in line:
            self.found = True
        return line


def _no_cells(cells: list[str]) -> tuple[str, ...]:
    return ()


def _cells_at(positions: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """The cells at ``positions`` of a row, as a tuple (``itemgetter``: no Python loop per cell)."""
    if not positions:
        return _no_cells
    getter = operator.itemgetter(*positions)
    if len(positions) == 1:
        return lambda cells: (getter(cells),)
    return getter  # type: ignore[return-value]


@dataclass
class _CsvLayout:
    """The CSV columns that fill one part's record: (position, field name, conversion), and each field's header."""

    part: str
    positions: list[tuple[int, str, upload_values.Converter]]
    where: dict[str, str]
    own_cells: Callable[[list[str]], tuple[str, ...]] = _no_cells

    def seal(self) -> None:
        """Done adding columns: ``own_cells`` gives the cells of the part's fields but the reference."""
        own = [position for position, name, _convert in self.positions if name != REFERENCE]
        self.own_cells = _cells_at(own)

    def record(self, cells: list[str], row: int, *, reference: Any = _CONVERTED) -> Record | None:
        """The record of ``cells`` (``None`` when they leave every field of the part but the reference blank);
        given the ``reference``, its values are that alone (a row not wanted)."""
        if not any(self.own_cells(cells)):
            return None
        if reference is not _CONVERTED:
            return Record(part=self.part, sheet=CSV_SHEET, row=row, values={REFERENCE: reference}, cells=self.where)
        values = {
            name: converter(cell) if (cell := cells[position]) and not cell.isspace() else None
            for position, name, converter in self.positions
        }
        return Record(part=self.part, sheet=CSV_SHEET, row=row, values=values, cells=self.where)


def _csv_layouts(
    headers: list[str], match: upload_columns.HeaderMatch
) -> tuple[_CsvLayout, _CsvLayout, list[_CsvLayout]]:
    """The layouts of a CSV's report, item and numbered groups (each holding the national reference)."""
    report = _CsvLayout("report", [], {})
    item = _CsvLayout("item", [], {})
    groups: dict[tuple[str, int], _CsvLayout] = {}
    for position, column in enumerate(match.columns):
        if column is None:
            continue
        if column.group:
            layout = groups.setdefault((column.part, column.group), _CsvLayout(column.part, [], {}))
        else:
            layout = report if column.part == "report" else item
        layout.positions.append((position, column.field.name, upload_values.converter(column.field)))
        layout.where[column.field.name] = headers[position]
    reference = [entry for entry in report.positions if entry[1] == REFERENCE]
    for layout in (item, *groups.values()):
        layout.positions[:0] = reference
        if reference:
            layout.where[REFERENCE] = headers[reference[0][0]]
    for layout in (report, item, *groups.values()):
        layout.seal()
    return report, item, list(groups.values())


def csv_records(
    reader: Iterator[list[str]],
    *,
    variant: str,
    summary: ReadSummary,
    formulas: dict[int, dict[int, str]] | None = None,
    nul_watch: _NulWatch | None = None,
    wanted: Wanted | None = None,
) -> Iterator[tuple[int, Record]]:
    """A report record per row (but a row repeating the report cells of the row above), an item record per row
    with item cells, and each report's numbered groups from the first of its rows that has them. A cell holding
    a NUL character is a problem and blank (every row is searched for one, or those read once ``nul_watch``
    found one).

    ``wanted`` is asked of each row's national reference (as converted): a row it does not want gives the same
    records, holding the reference alone (its other cells are not converted: another process checks them)."""
    headers = next(reader, None)
    if headers is None:
        summary.problems.append(CellProblem(CSV_SHEET, 1, "", "", _("The file has no header row.")))
        return
    # A header holding a NUL is no known header, and is named with the character shown (no text stored holds it).
    headers = [storable(header) for header in headers]
    match = upload_columns.match_headers("csv", headers, variant=variant)
    summary.problems.extend(header_problems(CSV_SHEET, match))
    report_layout, item_layout, group_layouts = _csv_layouts(headers, match)
    report_cells_of = _cells_at([position for position, _name, _convert in report_layout.positions])
    group_cells_of = _cells_at(
        [position for layout in group_layouts for position, name, _convert in layout.positions if name != REFERENCE]
    )
    reference_at, reference_of = next(
        ((position, convert) for position, name, convert in report_layout.positions if name == REFERENCE), (None, None)
    )
    width = len(headers)
    limit = settings.RILO_UPLOAD_MAX_ROWS
    # The first row that gave each report's groups, and what they were: later rows repeat them or leave them blank.
    first_groups: dict[str, tuple[int, tuple[str, ...]]] = {}
    rows = {"report": 0, "item": 0, **dict.fromkeys(upload_columns.CSV_GROUPS, 0)}
    data_rows = 0
    previous_report: tuple[str, ...] | None = None
    for row_number, cells in enumerate(reader, start=2):
        if not any(cells):
            continue
        data_rows += 1
        if data_rows > limit:
            raise UploadRefused(too_many_rows_message(CSV_SHEET))
        problems: list[CellProblem] = []
        if formulas:  # the CSV form as a sheet of a workbook (a marked copy corrected in Excel)
            for position, text in formulas.pop(row_number, {}).items():  # (each row's alone: no scan of all)
                if position < len(cells):  # (a formula past the row's last value is no cell of it, but a problem)
                    cells[position] = ""
                column = match.columns[position] if position < width else None
                header = headers[position] if position < width else column_letters(position)
                # The field named, as for any cell: a problem at a cell of personal data is withheld from whom may
                # not see it (the message quotes the formula, which may hold a name).
                field_name = column.field.name if column is not None else ""
                problems.append(CellProblem(CSV_SHEET, row_number, header, field_name, formula_message(text)))
        if (nul_watch is None or nul_watch.found) and any("\x00" in cell for cell in cells):
            for position, cell in enumerate(cells):
                if "\x00" in cell:
                    cells[position] = ""
                    column = match.columns[position] if position < width else None
                    header = headers[position] if position < width else column_letters(position)
                    field_name = column.field.name if column is not None else ""
                    problems.append(CellProblem(CSV_SHEET, row_number, header, field_name, nul_message()))
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        elif len(cells) > width and any(cell.strip() for cell in cells[width:]):
            problems.append(
                CellProblem(CSV_SHEET, row_number, "", "", _("This row has more cells than the file has headers."))
            )
        reference_value: Any = _CONVERTED  # a row wanted: its cells converted
        if wanted is not None:
            cell = cells[reference_at] if reference_at is not None and reference_of is not None else ""
            reference_value = reference_of(cell) if reference_of is not None and cell and not cell.isspace() else None
            if wanted(reference_value):
                reference_value = _CONVERTED
        records: list[Record | None] = []
        if group_layouts:
            given = group_cells_of(cells)
            if any(given):
                reference = cells[reference_at].strip() if reference_at is not None else ""
                first = first_groups.get(reference)
                if first is None:
                    first_groups[reference] = (row_number, given)
                    records.extend(
                        layout.record(cells, row_number, reference=reference_value) for layout in group_layouts
                    )
                elif given != first[1]:
                    problems.append(
                        CellProblem(
                            CSV_SHEET,
                            row_number,
                            "",
                            "",
                            _(
                                "The route, conveyances or persons differ from row %(row)s of the same national "
                                "reference: give them once per report (repeat them alike or leave them blank)."
                            )
                            % {"row": first[0]},
                        )
                    )
        # Report cells repeated from the row above (the same report's next item) make no second report record.
        report_cells = report_cells_of(cells)
        if report_cells != previous_report or problems:
            report = Record(
                part="report",
                sheet=CSV_SHEET,
                row=row_number,
                values={
                    name: converter(cell) if (cell := cells[position]) and not cell.isspace() else None
                    for position, name, converter in report_layout.positions
                }
                if reference_value is _CONVERTED
                else {REFERENCE: reference_value},
                cells=report_layout.where,
                problems=problems or (),
            )
            rows["report"] += 1
            yield row_number, report
        previous_report = report_cells
        item = item_layout.record(cells, row_number, reference=reference_value)
        for record in (item, *records):
            if record is not None:
                rows[record.part] += 1
                yield row_number, record
    summary.rows = {part: count for part, count in rows.items() if count or part in ("report", "item")}
    if data_rows == 0:
        summary.problems.append(CellProblem(CSV_SHEET, 1, "", "", _("The file has no rows below its headers.")))
