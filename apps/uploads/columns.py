"""The columns of an upload, read from the field catalogue (:mod:`apps.reports.catalogue`) and nothing else.

Two layouts carry the same fields:

- **XLSX**: one sheet per part (reports, items, route, conveyances, persons and companies), each row one
  row of that part. Every sheet starts with the national reference: it ties an item, a route step, a
  conveyance or a party to its report.
- **CSV**: one row per item; the report's columns are repeated on each of its item rows. In the full
  variant a report's route steps, conveyances and persons or companies follow as numbered groups of
  columns (``route_1_country`` … ``route_3_country``, ``conveyance_1_…``, ``party_1_…``): up to
  :data:`CSV_GROUPS` of each. They are given once per report, on any of its rows (the first row that has
  them counts; other rows repeat them alike or leave them blank). A report with more of them than the
  CSV holds is uploaded as XLSX.

The simplified variant has the fields the simplified web form shows (no route, conveyance or party
sheet); the full variant every field an officer enters. The form variant itself is not a column: the
variant chosen for the upload is the reports' form variant.

A header is a column's key (``quantity``, ``route_1_country``) or its label in the current language or in
English (``Quantity``), compared without regard to case or spacing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from apps.core.caches import process_cache_register
from apps.core.languages import offered_languages
from apps.reports import catalogue
from apps.reports.choices import FormVariant

# The key every part sheet starts with (the report's own field).
REFERENCE = "national_reference"
# Fields that are no column: the upload's variant is the reports' form variant.
NOT_COLUMNS = frozenset({("report", "form_variant")})
# The CSV's numbered groups: how many route steps, conveyances and persons or companies a row may carry.
CSV_GROUPS: dict[str, int] = {"route": 3, "conveyance": 2, "party": 2}
VARIANTS = (FormVariant.SIMPLIFIED.value, FormVariant.FULL.value)

# The template's own sheets, never read as data.
READ_ME_SHEET = _("Read me")
LISTS_SHEET = _("Lists")
# The first sheet of a marked copy (apps.uploads.marked): the problems found, never data either.
ERRORS_SHEET = _("Errors")


@dataclass(frozen=True)
class Column:
    """One column of an upload: the part whose row it fills, the catalogue field, its header and key.

    ``group`` numbers the route step, conveyance or party of a CSV row (1, 2, …); 0 elsewhere.
    """

    part: str
    field: catalogue.Field
    header: str | Promise
    key: str
    group: int = 0

    @property
    def required(self) -> bool:
        """A column the file must have: the national reference, and the required fields of a part's own rows
        (a CSV's numbered groups are optional as a whole)."""
        return self.key == REFERENCE or (self.field.required and self.group == 0)


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant {variant!r}: one of {', '.join(VARIANTS)}.")


def part_fields(part: str, *, variant: str) -> tuple[catalogue.Field, ...]:
    """The catalogue fields of ``part`` an upload of ``variant`` carries."""
    _check_variant(variant)
    simplified = True if variant == FormVariant.SIMPLIFIED else None
    return tuple(
        spec for spec in catalogue.fields(part, simplified=simplified) if (spec.part, spec.name) not in NOT_COLUMNS
    )


def sheet_parts(*, variant: str) -> tuple[str, ...]:
    """The parts that have a sheet in an XLSX upload of ``variant``, in the order of the sheets."""
    return tuple(name for name in ("report", *catalogue.ROW_PARTS) if part_fields(name, variant=variant))


def _reference_column(part: str) -> Column:
    spec = catalogue.field("report", REFERENCE)
    return Column(part=part, field=spec, header=spec.label, key=REFERENCE)


@cache
def sheet_columns(part: str, *, variant: str) -> tuple[Column, ...]:
    """The columns of the sheet of ``part``: the national reference first, then the part's fields."""
    specs = part_fields(part, variant=variant)
    # The report's own national reference comes first too, as on every sheet.
    columns = [
        Column(part=part, field=spec, header=spec.label, key=spec.name) for spec in specs if spec.name != REFERENCE
    ]
    return (_reference_column(part), *columns)


@cache
def csv_columns(*, variant: str) -> tuple[Column, ...]:
    """The columns of a CSV upload: the report's, the item's, then the numbered groups (full variant)."""
    columns = [*sheet_columns("report", variant=variant), *sheet_columns("item", variant=variant)[1:]]
    for part, count in CSV_GROUPS.items():
        specs = part_fields(part, variant=variant)
        for number in range(1, count + 1):
            label = catalogue.part(part).label
            columns.extend(
                Column(
                    part=part,
                    field=spec,
                    header=format_lazy(_("{part} {number}: {field}"), part=label, number=number, field=spec.label),
                    key=f"{part}_{number}_{spec.name}",
                    group=number,
                )
                for spec in specs
            )
    return tuple(columns)


process_cache_register("uploads.columns.sheet_columns", sheet_columns.cache_clear)
process_cache_register("uploads.columns.csv_columns", csv_columns.cache_clear)


def normalised_header(text: object) -> str:
    """A header as headers are compared: case-folded, spaces collapsed."""
    return " ".join(str(text or "").split()).casefold()


def _names(text: str | Promise, *, limit: int | None = None) -> set[str]:
    """A label as each of the site's languages writes it (cut at ``limit`` characters, as a sheet title is): a
    template downloaded in one language uploads back whatever language its uploader has chosen since."""
    names = {normalised_header(str(text)[:limit])}
    for language in offered_languages():
        with translation.override(language):
            names.add(normalised_header(str(text)[:limit]))
    return names


@dataclass(frozen=True)
class HeaderMatch:
    """The headers of a sheet or CSV matched to columns.

    ``columns`` has one entry per header (``None`` for a blank or unknown header); ``unknown`` lists the
    headers no column has, ``repeated`` those naming a column an earlier header already named, ``missing``
    the required columns no header names.
    """

    columns: tuple[Column | None, ...]
    unknown: tuple[str, ...]
    repeated: tuple[str, ...]
    missing: tuple[Column, ...]


def _lookup(columns: Iterable[Column]) -> dict[str, Column]:
    lookup: dict[str, Column] = {}
    for column in columns:
        for name in (normalised_header(column.key), *_names(column.header)):
            lookup.setdefault(name, column)
    return lookup


def match_headers(part: str, headers: list[str], *, variant: str = FormVariant.FULL) -> HeaderMatch:
    """Match the ``headers`` of the sheet of ``part`` (or of the CSV, ``part="csv"``) to their columns."""
    known = csv_columns(variant=variant) if part == "csv" else sheet_columns(part, variant=variant)
    lookup = _lookup(known)
    matched: list[Column | None] = []
    unknown: list[str] = []
    repeated: list[str] = []
    seen: set[str] = set()
    for header in headers:
        name = normalised_header(header)
        column = lookup.get(name) if name else None
        if name and column is None:
            unknown.append(str(header))
        elif column is not None and column.key in seen:
            repeated.append(str(header))
            column = None
        if column is not None:
            seen.add(column.key)
        matched.append(column)
    missing = tuple(column for column in known if column.required and column.key not in seen)
    return HeaderMatch(tuple(matched), tuple(unknown), tuple(repeated), missing)


def sheet_title(part: str) -> str:
    """The title of the sheet of ``part`` in the current language (a sheet title has at most 31 characters)."""
    return str(catalogue.part(part).plural)[:31]


def part_for_sheet(title: str) -> str | None:
    """The part a sheet titled ``title`` holds: its name, its key or its title in any of the site's languages
    (case and spacing aside); ``None`` for any other sheet."""
    name = normalised_header(title)
    for part in ("report", *catalogue.ROW_PARTS):
        declared = catalogue.part(part)
        if name in {declared.name, declared.wire_key, *_names(declared.plural), *_names(declared.plural, limit=31)}:
            return part
    return None


def is_template_sheet(title: str) -> bool:
    """Whether ``title`` is one of the template's own sheets (the read-me and the lists) or a marked copy's
    errors sheet: never data."""
    name = normalised_header(title)
    return name in _names(READ_ME_SHEET) | _names(LISTS_SHEET) | _names(ERRORS_SHEET)
