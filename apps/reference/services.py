"""Writes on reference data: deactivating and deleting terms, commodity types, loading the HS nomenclature."""

from __future__ import annotations

import codecs
import csv
import io
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext_lazy as _

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import ApplicationError, Conflict, PermissionDenied

from .models import CommodityType, HSCode, Vocabulary
from .selectors import term_usages, usage_message

# --- terms -------------------------------------------------------------------------------------


# The refusal of each verb, a whole sentence (%(terms)s: the vocabulary's plural name).
_NOT_ALLOWED = {
    "add": _("You may not add %(terms)s."),
    "change": _("You may not change %(terms)s."),
    "delete": _("You may not delete %(terms)s."),
}


def _require(actor: Actor, verb: str, model: type[Vocabulary]) -> None:
    """The actor's permission to ``verb`` terms of ``model``; commodity types, whose attribute schemas every
    region's reports are checked against, are for platform administrators only (as in their admin)."""
    permission = f"{model._meta.app_label}.{verb}_{model._meta.model_name}"
    if not actor.has_perm(permission) or (issubclass(model, CommodityType) and not is_platform_administrator(actor)):
        raise PermissionDenied(_NOT_ALLOWED[verb] % {"terms": model._meta.verbose_name_plural})


def term_set_active(*, terms: Iterable[Vocabulary], active: bool, actor: Actor) -> list[Vocabulary]:
    """Deactivate (or reactivate) terms; returns those whose flag changed.

    A deactivated term stays on every record that uses it but can no longer be chosen: this is
    how a term in use is retired, since it cannot be deleted.
    """
    terms = list(terms)
    if not terms:
        return []
    model = type(terms[0])
    _require(actor, "change", model)
    changed = [term for term in terms if term.active != active]
    model.objects.filter(pk__in=[term.pk for term in changed]).update(active=active)
    for term in changed:
        term.active = active
    return changed


class TermInUse(Conflict):
    """A term that records refer to cannot be deleted."""

    code = "term_in_use"


@transaction.atomic
def term_delete(*, terms: Iterable[Vocabulary], actor: Actor) -> int:
    """Delete terms nothing refers to; refuses (``TermInUse``) naming where any of them is used."""
    terms = list(terms)
    if not terms:
        return 0
    model = type(terms[0])
    _require(actor, "delete", model)
    usages = term_usages(terms=terms)
    if usages:
        raise TermInUse(usage_message(usages))
    try:
        deleted, _ = model.objects.filter(pk__in=[term.pk for term in terms]).delete()
    except (ProtectedError, RestrictedError) as exc:  # a reference added since term_usages() looked
        raise TermInUse(
            _("These terms have just been put to use and cannot be deleted: deactivate them instead.")
        ) from exc
    return deleted


@transaction.atomic
def term_save(*, term: Vocabulary, actor: Actor) -> Vocabulary:
    """Save a term (new or changed) checked by its form; a change of its label or translations is audited."""
    _require(actor, "add" if term._state.adding else "change", type(term))
    before = _names(term)
    term.save()
    _audit_names(term, actor, before)
    return term


def _names(term: Vocabulary) -> dict[str, object] | None:
    """The term's stored label and translations (None for a new term): what the audit compares."""
    if term._state.adding or term.pk is None:
        return None
    return type(term).objects.filter(pk=term.pk).values("label", "translations").first()


def _audit_names(term: Vocabulary, actor: Actor, before: dict[str, object] | None) -> None:
    """Record a change of the term's names, before and after (names of reference terms, not personal data)."""
    after = {"label": term.label, "translations": term.translations}
    if before == after:
        return
    audit_record(
        actor=actor,
        action="reference.term_names_change",
        obj=term,
        detail={"model": term._meta.model_name, "code": term.code, "before": before, "after": after},
    )


def is_platform_administrator(actor: Actor) -> bool:
    """Django staff or a superuser: who administers what every region shares (not a region's RILO administrator)."""
    return bool(actor.is_active and (actor.is_superuser or getattr(actor, "is_staff", False)))


@transaction.atomic
def commodity_type_save(*, commodity_type: CommodityType, actor: Actor) -> CommodityType:
    """Save a commodity type (new or changed), as a platform administrator only.

    Its attribute schema decides what every region's reports may say about the commodity, so
    commodity types are not a region's to edit; a change of the schema is audited (its code and
    the attribute names it now allows, never values).
    """
    if not is_platform_administrator(actor):
        raise PermissionDenied(
            _("Only platform administrators may change commodity types and their attribute schemas.")
        )
    _require(actor, "add" if commodity_type._state.adding else "change", CommodityType)
    stored = CommodityType.objects.filter(pk=commodity_type.pk).values_list("attributes_schema", flat=True).first()
    schema_changed = commodity_type.attributes_schema != stored
    names_before = _names(commodity_type)
    commodity_type.save()
    _audit_names(commodity_type, actor, names_before)
    if schema_changed:
        schema = commodity_type.attributes_schema or {}
        audit_record(
            actor=actor,
            action="reference.attributes_schema_change",
            obj=commodity_type,
            detail={"code": commodity_type.code, "attributes": sorted(schema.get("properties", {}))},
        )
    return commodity_type


# --- HS nomenclature ---------------------------------------------------------------------------

HS_COLUMNS = ("section", "hscode", "description", "parent", "level")
# The 21 sections of the Harmonized System.
HS_SECTIONS = frozenset(
    {
        *("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"),
        *("XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX", "XXI"),
    }
)
_ROOT = "TOTAL"  # the data set's root row, the parent of chapters, and the "section" of chapter 99
MAX_REPORTED_ERRORS = 20

RowsFile = str | os.PathLike[str] | IO[bytes]


class HSFileError(ApplicationError):
    """A malformed HS file: nothing was loaded. ``errors`` lists every problem, by line."""

    code = "invalid_hs_file"

    def __init__(self, errors: list[str], *, name: str = "The HS file") -> None:
        shown = errors[:MAX_REPORTED_ERRORS]
        more = len(errors) - len(shown)
        lines = "\n".join(f"  {error}" for error in shown)
        tail = f"\n  … and {more} more problem(s)." if more else ""
        super().__init__(
            f"{name} was refused, nothing was loaded. {len(errors)} problem(s):\n{lines}{tail}",
            extra={"errors": errors},
        )
        self.errors = errors


@dataclass(frozen=True)
class HSLoadSummary:
    """What ``hs_load`` did."""

    rows: int
    created: int
    updated: int
    unchanged: int
    skipped: int  # the data set's root row ("TOTAL"), which is not an HS code
    seconds: float

    def __str__(self) -> str:
        return (
            f"{self.rows} HS rows: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.skipped} skipped in {self.seconds:.2f} s"
        )


@dataclass(frozen=True)
class _HSRow:
    line: int
    code: str
    section: str
    description: str
    parent: str
    level: int


def _read_bytes(source: RowsFile) -> bytes:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            return handle.read()
    return source.read()


def _csv_records(data: bytes, errors: list[str], prefix: str) -> list[tuple[int, list[str]]] | None:
    """(line number, fields) of each non-blank CSV record; None (and errors) if some lines are not UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    bad_lines = []
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        try:
            raw_line.decode("utf-8")
        except UnicodeDecodeError:
            bad_lines.append(number)
    if bad_lines:
        errors.extend(f"{prefix}line {number}: not UTF-8 text." for number in bad_lines)
        return None
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    records = []
    start = 1
    try:
        for fields in reader:
            if any(field.strip() for field in fields):
                records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        errors.append(f"{prefix}line {start}: {exc}.")
    return records


def _check_header(
    records: list[tuple[int, list[str]]], expected: tuple[str, ...], errors: list[str], prefix: str
) -> dict[str, int] | None:
    if not records:
        errors.append(f"{prefix}line 1: the file is empty; expected the header {','.join(expected)}.")
        return None
    line, fields = records[0]
    header = [field.strip().lower() for field in fields]
    missing = [name for name in expected if name not in header]
    unexpected = [name for name in header if name not in expected]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if missing or unexpected or duplicated:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected column(s) {', '.join(repr(name) for name in unexpected)}")
        if duplicated:
            parts.append(f"repeated column(s) {', '.join(duplicated)}")
        errors.append(f"{prefix}line {line}: bad header ({'; '.join(parts)}); expected {','.join(expected)}.")
        return None
    return {name: header.index(name) for name in expected}


def _read_sections(source: RowsFile, errors: list[str]) -> set[str]:
    prefix = "Sections file, "
    records = _csv_records(_read_bytes(source), errors, prefix)
    columns = None if records is None else _check_header(records, ("section", "name"), errors, prefix)
    if records is None or columns is None:
        return set()
    sections: set[str] = set()
    for line, fields in records[1:]:
        if len(fields) != len(columns):
            errors.append(f"{prefix}line {line}: expected {len(columns)} fields, found {len(fields)}.")
            continue
        section = fields[columns["section"]].strip()
        if section not in HS_SECTIONS:
            errors.append(f"{prefix}line {line}: section “{section}” is not a Roman numeral from I to XXI.")
        elif not fields[columns["name"]].strip():
            errors.append(f"{prefix}line {line}: the name of section {section} is empty.")
        else:
            sections.add(section)
    return sections


def _parse_hs_rows(
    records: list[tuple[int, list[str]]], columns: dict[str, int], sections: set[str] | None, errors: list[str]
) -> tuple[list[_HSRow], int]:
    rows: list[_HSRow] = []
    skipped = 0
    first_line: dict[str, int] = {}
    max_label = HSCode._meta.get_field("label").max_length or 1000
    for line, fields in records[1:]:
        if len(fields) != len(columns):
            errors.append(f"Line {line}: expected {len(columns)} fields, found {len(fields)}.")
            continue
        value = {name: fields[index].strip() for name, index in columns.items()}
        code, level_text, parent, section = value["hscode"], value["level"], value["parent"], value["section"]
        if code == _ROOT:
            skipped += 1  # the root of the data set's tree, not an HS code
            continue
        problems = []
        level = int(level_text) if level_text.isdigit() else 0
        if level not in (2, 4, 6):
            problems.append(f"level “{level_text}” is not 2, 4 or 6")
        if not code.isdigit():
            problems.append(f"HS code “{code}” must contain digits only")
        elif level in (2, 4, 6) and len(code) != level:
            problems.append(f"HS code “{code}” has {len(code)} digits but its level is {level}")
        if section != _ROOT and section not in HS_SECTIONS:
            problems.append(f"section “{section}” is not a Roman numeral from I to XXI")
        elif sections is not None and section != _ROOT and section not in sections:
            problems.append(f"section “{section}” is not in the sections file")
        if not value["description"]:
            problems.append("the description is empty")
        elif len(value["description"]) > max_label:
            problems.append(f"the description is longer than {max_label} characters")
        if level == 2 and parent != _ROOT:
            problems.append(f"a chapter's parent must be {_ROOT}, not “{parent}”")
        elif level in (4, 6) and code.isdigit() and not (len(parent) == level - 2 and code.startswith(parent)):
            problems.append(f"parent “{parent}” is not the first {level - 2} digits of {code}")
        if code in first_line:
            problems.append(f"HS code “{code}” is already on line {first_line[code]}")
        if problems:
            errors.append(f"Line {line}: {'; '.join(problems)}.")
            continue
        first_line[code] = line
        rows.append(_HSRow(line, code, "" if section == _ROOT else section, value["description"], parent, level))
    return rows, skipped


def hs_load(*, rows_file: RowsFile, sections_file: RowsFile | None = None) -> HSLoadSummary:
    """Load (create or update by code) the HS nomenclature from a CSV file.

    Columns ``section,hscode,description,parent,level`` as in the public HS 2022 data set
    (UTF-8, with or without a byte-order mark). The whole file is checked first; any problem
    refuses it with ``HSFileError`` listing the problems by line, and nothing is written. With
    ``sections_file`` (columns ``section,name``) every row's section must be one it lists.
    Loading the same file again changes nothing. Codes absent from the file are left alone, and
    so are the ``active`` flags and partner codes of existing codes.
    """
    started = time.perf_counter()
    errors: list[str] = []
    sections = _read_sections(sections_file, errors) if sections_file is not None else None
    records = _csv_records(_read_bytes(rows_file), errors, "")
    columns = None if records is None else _check_header(records, HS_COLUMNS, errors, "")
    rows: list[_HSRow] = []
    skipped = 0
    if records is not None and columns is not None:
        rows, skipped = _parse_hs_rows(records, columns, sections, errors)
    errors = [error[0].upper() + error[1:] for error in errors]  # "line 3: …" -> "Line 3: …"

    with transaction.atomic():
        existing = {term.code: term for term in HSCode.objects.select_for_update().all()}
        codes_in_file = {row.code for row in rows}
        for row in rows:
            if row.level > 2 and row.parent not in codes_in_file and row.parent not in existing:
                errors.append(
                    f"Line {row.line}: parent “{row.parent}” of {row.code} is neither in the file nor loaded."
                )
        if errors:
            errors.sort(key=_line_of)
            raise HSFileError(errors)
        created, updated, unchanged = _write_hs_rows(rows, existing)
    return HSLoadSummary(
        rows=len(rows),
        created=created,
        updated=updated,
        unchanged=unchanged,
        skipped=skipped,
        seconds=time.perf_counter() - started,
    )


def _line_of(error: str) -> tuple[int, int]:
    """Sort key: sections-file problems first, then by line number."""
    is_rows_file = 0 if error.startswith("Sections file") else 1
    digits = "".join(ch if ch.isdigit() else " " for ch in error.split(":", 1)[0]).split()
    return is_rows_file, int(digits[0]) if digits else 0


def _write_hs_rows(rows: list[_HSRow], existing: dict[str, HSCode]) -> tuple[int, int, int]:
    """Bulk upsert, chapters before headings before subheadings so that parents have ids."""
    ids = {code: term.pk for code, term in existing.items()}
    to_update: list[HSCode] = []
    created = unchanged = 0
    for level in (2, 4, 6):
        to_create = []
        for row in rows:
            if row.level != level:
                continue
            parent_id = ids[row.parent] if level > 2 else None
            term = existing.get(row.code)
            if term is None:
                to_create.append(
                    HSCode(code=row.code, label=row.description, level=level, section=row.section, parent_id=parent_id)
                )
                continue
            wanted = (row.description, level, row.section, parent_id)
            if (term.label, term.level, term.section, term.parent_id) == wanted:
                unchanged += 1
                continue
            term.label, term.level, term.section, term.parent_id = wanted
            to_update.append(term)
        for term in HSCode.objects.bulk_create(to_create, batch_size=1000):
            ids[term.code] = term.pk
        created += len(to_create)
    HSCode.objects.bulk_update(to_update, ["label", "level", "section", "parent"], batch_size=1000)
    return created, len(to_update), unchanged
