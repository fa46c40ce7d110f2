"""Checking an upload: its rows grouped into reports, each cleaned by the one validator, plus the rules across
rows, the administration's existing reports, and possible duplicates.

The reader (:mod:`apps.uploads.reading`) yields one :class:`Record` per row of each part, its values keyed by
the catalogue's field names and the cell each came from. Rows are grouped by national reference into reports;
each report is cleaned as the web form and the API clean one (``apps.reports.services.steps.clean_all``, the
validator of :mod:`apps.reports.validation`), and every error it names by path (``("items", 2, "unit")``) is
put back at the cell it came from (sheet, row, column). Then:

- rules across rows: a report given twice with different values, a row pointing to no report, a seizure
  without items;
- the administration's reports with the same reference: a draft or returned one is updated, any other is an
  error that points to the correction workflow (never another administration's: references are per
  administration, so theirs are simply other reports);
- possible duplicates (flagged, never refused), by the rule of :mod:`apps.reports.duplicates`, among the
  file's reports and against the reports the uploader may see;
- vocabulary terms are looked up once per distinct value per upload, not once per cell.

The checked reports are kept beside the stored file (:mod:`apps.uploads.checked`): the commit writes them
after verifying only what can change between the check and the commit (a draft submitted meanwhile, a code
withdrawn), and checks the file again only when something did.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.actor import Actor
from apps.reference.models import HSCode
from apps.reports import catalogue
from apps.reports.choices import EDITABLE_STATES, ReportKind, ReportStatus
from apps.reports.errors import Errors, paths_of
from apps.reports.errors import Path as ErrorPath
from apps.reports.models import Operation, Report
from apps.reports.selectors import joint_operations_attachable
from apps.reports.services.steps import clean_all
from apps.reports.validation import ReportValidationError, check_complete, normalise_hs_code, says_unknown_code

from .candidates import Compared
from .cells import CellProblem, Record
from .choices import ProblemKind
from .reading import read_upload
from .spool import ReportSpool
from .writing import CheckedReport

REFERENCE = "national_reference"
# The parts a report has rows of, with the keyword clean_all takes each by (its wire key).
ROW_PARTS = {name: catalogue.part(name).wire_key for name in catalogue.ROW_PARTS}
_PROGRESS_EVERY = 64  # rows read, records checked: progress is told that often (and written seldom)
# The values of a report's row once checked: none kept (one empty mapping for them all, never written to).
_CHECKED: dict[str, Any] = {}


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


@dataclass
class CheckOutcome:
    """What a check found: the reports ready to write, the problems, the counts and the preview."""

    reports: Sequence[CheckedReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    new_reports: int = 0
    drafts_updated: int = 0
    rows_with_errors: int = 0
    duplicate_candidates: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)
    encoding: str = ""
    separator: str = ""

    @property
    def has_errors(self) -> bool:
        return any(problem.kind == ProblemKind.ERROR for problem in self.problems)


Progress = Callable[[int, int], None]


def check_file(
    *,
    path: Path,
    file_format: str,
    encoding: str | None,
    variant: str,
    actor: Actor,
    progress: Progress,
    submit: bool = False,
) -> CheckOutcome:
    """Read the stored file and check it (see :func:`check_records`); a file the reader refuses (too many rows)
    raises its :class:`~apps.uploads.sniffing.UploadRefused`, in the reader's words."""
    reading = read_upload(path, format=file_format, encoding=encoding, variant=variant)
    outcome = check_records(
        reading,
        actor=actor,
        variant=variant,
        progress=progress,
        submit=submit,
        file_problems=lambda: reading.summary.problems,
    )
    outcome.encoding = reading.summary.encoding or encoding or ""
    outcome.separator = reading.summary.separator
    return outcome


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


@dataclass(slots=True)
class _Report:
    """The rows of one national reference, in file order."""

    reference: str
    record: Record | None = None
    parts: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))


class _Terms:
    """Vocabulary terms, HS codes and joint operations looked up once per distinct value for the whole upload.

    An active term found is handed to the validator as the term itself; anything else (unknown, no longer in
    use, ambiguous) as typed, so the validator says what is wrong in its own words."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], Any] = {}
        self._active_terms: dict[type[Model], list[tuple[str, str]]] = {}
        # Per part: the fields whose values are looked up, by kind.
        self._fields = {
            part: {spec.name: spec for spec in catalogue.fields(part) if spec.kind in _LOOKED_UP}
            for part in ("report", *catalogue.ROW_PARTS)
        }

    def resolve(self, part: str, values: Mapping[str, Any]) -> dict[str, Any]:
        resolved = dict(values)
        for name, spec in self._fields[part].items():
            value = resolved.get(name)
            if value is None or value == "":
                continue
            if spec.kind == "terms":
                typed = value if isinstance(value, list | tuple) else [v for v in str(value).split(";") if v.strip()]
                resolved[name] = [self._one(spec, item) for item in typed]
            else:
                resolved[name] = self._one(spec, value)
        return resolved

    def _one(self, spec: catalogue.Field, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        key = (f"{spec.kind}:{getattr(spec.vocabulary, '__name__', '')}", " ".join(value.split()).lower())
        if key not in self._found:
            self._found[key] = self._lookup(spec, value)
        found = self._found[key]
        return value if found is None else found

    @staticmethod
    def _lookup(spec: catalogue.Field, value: str) -> Any:
        if spec.kind == "hs_code":
            return HSCode.objects.filter(code=normalise_hs_code(value)).first()
        if spec.kind == "operation":
            return Operation.objects.filter(code__iexact=value.strip()).first()
        assert spec.vocabulary is not None  # noqa: S101 (the catalogue declares it for terms)
        term = spec.vocabulary.objects.resolve(value)  # type: ignore[attr-defined]
        return term if term is not None and term.active else None

    def choices(self, spec: catalogue.Field, typed: str) -> str:
        """The active codes of the field's vocabulary closest to what was typed (else its first few), for a
        message that says what to use instead."""
        model = spec.vocabulary
        if model is None:
            return ""
        if model not in self._active_terms:
            terms = model.objects.filter(active=True).order_by("code")  # type: ignore[attr-defined]
            # In the reader's language: the label they would recognise, and what they most likely typed.
            self._active_terms[model] = [(str(term.code), term.localized_label) for term in terms]
        active = self._active_terms[model]
        wanted = typed.strip().lower()

        def closeness(term: tuple[str, str]) -> float:
            code, label = term[0].lower(), term[1].lower()
            return max(SequenceMatcher(None, wanted, code).ratio(), SequenceMatcher(None, wanted, label).ratio())

        close = [term for term in sorted(active, key=closeness, reverse=True)[:3] if closeness(term) >= 0.5]
        shown = close or active[:5]
        return ", ".join(f"{code} ({label})" for code, label in shown) + (", …" if len(active) > len(shown) else "")


_LOOKED_UP = frozenset({"term", "terms", "hs_code", "operation"})


class _Problems:
    """The problems found so far, and which rows have errors."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.error_rows: set[tuple[str, int | None]] = set()
        self.error_references: set[str] = set()
        self.duplicate_reports: set[str] = set()
        self.read_cells: set[tuple[str, int | None, str]] = set()  # (sheet, row, field) the reader found wrong

    def error(self, record: Record | None, name: str, message: str, *, reference: str = "") -> None:
        sheet = record.sheet if record is not None else ""
        row = record.row if record is not None else None
        column = record.cells.get(name, "") if record is not None else ""
        self.items.append(Problem(ProblemKind.ERROR, sheet, row, column, name, reference, message))
        self.error_rows.add((sheet, row))
        self.error_references.add(reference)

    def cell(self, problem: CellProblem, reference: str) -> None:
        self.items.append(
            Problem(
                ProblemKind.ERROR, problem.sheet, problem.row, problem.column, problem.field, reference, problem.message
            )
        )
        self.error_rows.add((problem.sheet, problem.row))
        self.error_references.add(reference)
        self.read_cells.add((problem.sheet, problem.row, problem.field))

    def duplicate(self, record: Record | None, reference: str, message: str) -> None:
        sheet, row, column = (record.sheet, record.row, record.cells.get(REFERENCE, "")) if record else ("", None, "")
        self.items.append(Problem(ProblemKind.DUPLICATE, sheet, row, column, REFERENCE, reference, message))
        self.duplicate_reports.add(reference)


def _spec(part: str, name: str) -> catalogue.Field | None:
    try:
        return catalogue.field(part, name)
    except KeyError:
        return None


def _label(part: str, name: str) -> str:
    spec = _spec(part, name)
    return str(spec.label) if spec is not None else name


def _group(records: Iterable[Record], problems: _Problems, progress: Progress) -> tuple[dict[str, _Report], int]:
    """The rows by national reference (in file order), the reader's cell problems recorded; the rows of the file
    read (a row counts once, whatever records it gives)."""
    reports: dict[str, _Report] = {}
    read = 0
    last: tuple[str, int] | None = None
    for record in records:
        if (record.sheet, record.row) != last:  # a CSV row gives several records (its report, its item…)
            read += 1
            last = (record.sheet, record.row)
            if not read % _PROGRESS_EVERY:
                progress(read, 0)
        reference = _text(record.values.get(REFERENCE))
        for cell_problem in record.problems:
            problems.cell(cell_problem, reference)
        # Its blank cells are not held until its report is checked (every row is held until then): a part's row
        # is cleaned whole (a field absent is blank), a report's row gets them back from its layout (_given).
        record.values = {name: value for name, value in record.values.items() if value is not None}
        if not reference:
            problems.error(
                record,
                REFERENCE,
                _("National reference: every row needs the national reference of its report."),
            )
        else:
            group = reports.setdefault(reference, _Report(reference))
            if record.part == "report":
                if group.record is None:
                    group.record = record
                elif _report_values(group.record) != _report_values(record):
                    problems.error(
                        record,
                        REFERENCE,
                        _(
                            "National reference: report %(reference)s is given again with different values (first "
                            "at %(sheet)s row %(row)d): give each report once, or the same values each time."
                        )
                        % {"reference": reference, "sheet": group.record.sheet, "row": group.record.row},
                        reference=reference,
                    )
            else:
                record.values[REFERENCE] = group.reference  # one string for the rows of a report, not one each
                group.parts[record.part].append(record)
    progress(read, 0)
    return reports, read


def _given(record: Record) -> dict[str, Any]:
    """A report's row as the file gives it: each field of its layout, blank ones ``None`` (an update clears
    them, where a field the file has no column for is kept)."""
    return {**dict.fromkeys(record.cells), **record.values}


def _report_values(record: Record) -> dict[str, str]:
    return {name: _text(value) for name, value in record.values.items()}


def existing_reports(actor: Actor, references: list[str]) -> dict[str, tuple[int, str]]:
    """The actor's administration's reports with these references: id and status, by reference."""
    reports = Report.objects.restrict(actor, "view").filter(administration_id=actor.administration_id)
    rows = reports.filter(national_reference__any=references).values_list("pk", REFERENCE, "status")
    return {reference: (pk, status) for pk, reference, status in rows}


def check_records(
    records: Iterable[Record],
    *,
    actor: Actor,
    variant: str,
    progress: Progress,
    submit: bool = False,
    file_problems: Callable[[], Iterable[CellProblem]] = list,
) -> CheckOutcome:
    """Check the rows of an upload for ``actor`` (see the module's docstring). ``submit``: the reports are to be
    sent for review, so each must also be complete for its form variant. ``file_problems`` gives, once every
    row is read, the reader's problems of the file as a whole (headers, sheets), errors too."""
    problems = _Problems()
    reports, read = _group(records, problems, progress)
    outcome = CheckOutcome(rows_read=read)
    whole_file = list(file_problems())
    for problem in whole_file:
        problems.cell(problem, "")
    if not read and not whole_file:
        problems.error(None, "", _("The file holds no report: fill in the template's sheets and upload it again."))
    existing = existing_reports(actor, list(reports))
    given_parts = {part for group in reports.values() for part in group.parts}
    terms = _Terms()
    may_record_parties = actor.has_perm("reports.view_personal_data_report")
    attachable = set(joint_operations_attachable(actor=actor).values_list("pk", flat=True))
    # The checked reports held pickled, what the duplicate rule compares of them, and the first few as shown.
    spool, compared, previewed = ReportSpool(), Compared(), list[tuple[_Report, CheckedReport]]()
    shown = int(settings.RILO_UPLOADS_PREVIEW_REPORTS)  # reports in the preview
    today = timezone.localdate()
    # Progress in the file's rows: the share of the records checked (a CSV row gives several records).
    records_total = sum(1 + sum(len(rows) for rows in group.parts.values()) for group in reports.values()) or 1
    done = 0
    told = 0
    for group in reports.values():
        result = _check_report(
            group,
            problems=problems,
            terms=terms,
            variant=variant,
            existing=existing.get(group.reference),
            given_parts=given_parts,
            may_record_parties=may_record_parties,
            attachable=attachable,
            submit=submit,
            today=today,
        )
        if result is not None:
            spool.append(result)
            compared.add(group.reference, result)
            outcome.new_reports += result.existing_id is None
            if len(previewed) < shown:
                previewed.append((group, result))
        done += 1 + sum(len(rows) for rows in group.parts.values())
        # Its rows' values are no longer needed (a large file is not held twice): the report's row keeps where
        # it is, for the problems and the preview that name it.
        group.parts = {}
        if group.record is not None:
            group.record = dataclasses.replace(group.record, values=_CHECKED, problems=())
        if done >= told + _PROGRESS_EVERY:
            told = done
            progress(read, read * done // records_total)
    progress(read, read)
    outcome.reports = spool
    outcome.drafts_updated = len(spool) - outcome.new_reports
    _flag_duplicates(compared, reports, actor=actor, problems=problems)
    outcome.problems = problems.items
    outcome.rows_with_errors = len(problems.error_rows)
    outcome.duplicate_candidates = len(problems.duplicate_reports)
    outcome.preview = [_preview(group, report) for group, report in previewed]
    return outcome


def _check_report(
    group: _Report,
    *,
    problems: _Problems,
    terms: _Terms,
    variant: str,
    existing: tuple[int, str] | None,
    given_parts: set[str],
    may_record_parties: bool,
    attachable: set[int],
    submit: bool,
    today: dt.date,
) -> CheckedReport | None:
    """One report cleaned by the one validator, its errors put at their cells; None if it has errors."""
    record, reference = group.record, group.reference
    before = len(problems.items)
    if record is None:
        for rows in group.parts.values():
            for row in rows:
                problems.error(
                    row,
                    REFERENCE,
                    _(
                        "National reference: no report has the reference %(reference)s: add it to the reports' "
                        "sheet, or correct the reference."
                    )
                    % {"reference": reference},
                    reference=reference,
                )
        return None
    if existing is not None and existing[1] not in EDITABLE_STATES:
        problems.error(
            record,
            REFERENCE,
            _(
                "National reference: your administration's report %(reference)s is “%(status)s”, so an upload cannot "
                "change it: open the report and ask for a correction, or give this report another reference."
            )
            % {"reference": reference, "status": ReportStatus(existing[1]).label},
            reference=reference,
        )
    fields = terms.resolve("report", _given(record))
    fields.setdefault("form_variant", variant)
    parts: dict[str, list[dict[str, Any]] | None] = {}
    for part, wire_key in ROW_PARTS.items():
        rows = group.parts.get(part, [])
        if part not in given_parts:
            parts[wire_key] = None  # the file has no such rows at all: an updated draft keeps its own
            continue
        parts[wire_key] = [terms.resolve(part, {k: v for k, v in row.values.items() if k != REFERENCE}) for row in rows]
    if parts.get("parties") and not may_record_parties:
        for row in group.parts.get("party", []):
            problems.error(row, REFERENCE, _("Persons and companies: you may not record persons and companies."))
    try:
        report_values, cleaned = clean_all(
            fields=fields,
            items=parts["items"],
            route=parts["route"],
            conveyances=parts["conveyances"],
            parties=parts["parties"],
            today=today,
        )
    except ReportValidationError as error:
        _put_at_cells(group, paths_of(error), problems, terms)
        return None
    operation = report_values.get("operation")
    if isinstance(operation, Operation) and operation.pk not in attachable:
        problems.error(
            record, "operation", _("Joint operation: unknown operation %(code)r.") % {"code": operation.code}
        )
    items = cleaned.get("items") or []
    if report_values.get("kind") != ReportKind.OFFENCE and not items:
        problems.error(
            record,
            REFERENCE,
            _(
                "National reference: the seizure %(reference)s has no item: add what was seized on the items' "
                "rows with the same national reference."
            )
            % {"reference": reference},
            reference=reference,
        )
    if submit:
        errors = Errors()
        check_complete(
            report_values=report_values,
            detection_methods=report_values.get("detection_methods") or [],
            items=items,
            route=cleaned.get("route") or [],
            errors=errors,
        )
        _put_at_cells(group, errors.paths, problems, terms)
    if len(problems.items) > before or reference in problems.error_references:
        return None
    return CheckedReport(
        existing_id=existing[0] if existing is not None else None,
        report_values=report_values,
        parts={key: rows for key, rows in cleaned.items() if rows is not None},
    )


_WIRE_TO_PART = {wire_key: part for part, wire_key in ROW_PARTS.items()}


def _put_at_cells(group: _Report, paths: Mapping[ErrorPath, list[str]], problems: _Problems, terms: _Terms) -> None:
    """The validator's errors, each at the cell its path names (a row's field, a report field, or the report's
    row for a whole part or the report as a whole)."""
    for path, messages in paths.items():
        record: Record | None = group.record
        part, name = "report", ""
        match path:
            case (str() as wire_key, int() as index, str() as field_name) if wire_key in _WIRE_TO_PART:
                part, name = _WIRE_TO_PART[wire_key], field_name
                rows = group.parts.get(part, [])
                record = rows[index] if index < len(rows) else group.record
            case (str() as field_name,):
                name = field_name
            case _:
                name = ""
        if record is not None and (record.sheet, record.row, name) in problems.read_cells:
            continue  # the reader said what is wrong with this cell (its value was left out): once is enough
        for message in messages:
            problems.error(record, name, _words(part, name, message, record, terms), reference=group.reference)


def _words(part: str, name: str, message: str, record: Record | None, terms: _Terms) -> str:
    """The validator's message, prefixed by the column's label; for a code it does not know, what to use."""
    if not name:
        return message
    label = _label(part, name)
    spec = _spec(part, name)
    if spec is not None and spec.kind in ("term", "terms") and says_unknown_code(message):
        typed = record.values.get(name) if record is not None else ""
        return _(
            "%(label)s: %(value)s is not a code in use; use %(choices)s or another code of the template's list."
        ) % {
            "label": label,
            "value": repr(_text(typed)),
            "choices": terms.choices(spec, _text(typed)),
        }
    return _("%(label)s: %(message)s") % {"label": label, "message": message}


def _flag_duplicates(compared: Compared, groups: dict[str, _Report], *, actor: Actor, problems: _Problems) -> None:
    """Each possible duplicate flagged at its report's row (flagged, never refused)."""
    message = _(
        "National reference: %(reference)s may be the same seizure as %(others)s. It will be written; the reviewer "
        "decides."
    )
    for reference, others in compared.found(actor).items():
        problems.duplicate(
            groups[reference].record,
            reference,
            message % {"reference": reference, "others": "; ".join(sorted(others)[:5])},
        )


# --- preview -------------------------------------------------------------------------------------------------


def _shown(value: Any) -> Any:
    """A cleaned value as the preview shows it: a term by its code, a list joined, a date as ISO text."""
    if value is None or value == "":
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(str(_shown(item)) for item in value)
    if isinstance(value, Model):
        return str(getattr(value, "code", None) or value)
    if isinstance(value, dt.date | dt.time | Decimal):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    if isinstance(value, dict):
        return {str(key): _shown(item) for key, item in value.items()}
    return value if isinstance(value, int | float | bool) else str(value)


# What the preview shows: the fields entered, but those shown only with the right to see personal data.
_PREVIEWED = {part: frozenset(catalogue.names(part, restricted=False)) for part in ("report", "item")}


def _preview(group: _Report, report: CheckedReport) -> dict[str, Any]:
    """One report as it will be stored: its fields and its items (persons and companies are not shown, nor any
    field shown only with the right to see personal data)."""
    return {
        "national_reference": group.reference,
        "sheet": group.record.sheet if group.record is not None else "",
        "row": group.record.row if group.record is not None else None,
        "action": "update" if report.existing_id is not None else "create",
        "fields": {
            name: _shown(value)
            for name, value in report.report_values.items()
            if name in _PREVIEWED["report"] and _shown(value) != ""
        },
        "items": [
            {
                name: _shown(value)
                for name, value in item.items()
                if name in _PREVIEWED["item"] and _shown(value) not in ("", {})
            }
            for item in report.parts.get("items") or []
        ],
    }
