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
- vocabulary terms are looked up once per distinct value per upload (per process), not once per cell.

A large file is checked by two processes, each reading it and checking its share of the reports
(:mod:`apps.uploads.helper`); their findings are joined in the file's order (:mod:`apps.uploads.outcome`).

The checked reports are kept beside the stored file (:mod:`apps.uploads.checked`): the commit writes them
after verifying only what can change between the check and the commit (a draft submitted meanwhile, a code
withdrawn), and checks the file again only when something did.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.actor import Actor
from apps.reports import catalogue
from apps.reports.choices import EDITABLE_STATES, ReportKind, ReportStatus
from apps.reports.errors import Errors, paths_of
from apps.reports.errors import Path as ErrorPath
from apps.reports.models import Operation, Report
from apps.reports.selectors import joint_operations_attachable
from apps.reports.services.steps import clean_all
from apps.reports.validation import (
    ReportValidationError,
    check_complete,
    quoted,
    says_unknown_code,
    unknown_operation,
)

from .candidates import Compared
from .cells import CellProblem, Record
from .helper import HELPERS_SHARE, WHOLE, WORKERS_SHARE, CheckHelper, HelperFailed, Share, start_helper
from .outcome import CheckOutcome, Findings, joined
from .preview import preview
from .problems import CHECKING, FILE, READING, REFERENCE, Problems
from .reading import read_upload
from .spool import ReportSpool
from .terms import Terms
from .writing import CheckedReport, completeness_parts, stored_parts

logger = logging.getLogger(__name__)

# The parts a report has rows of, with the keyword clean_all takes each by (its wire key).
ROW_PARTS = {name: catalogue.part(name).wire_key for name in catalogue.ROW_PARTS}
_PROGRESS_EVERY = 64  # rows read, records checked: progress is told that often (and written seldom)
# The values of a row held compactly, or of a report's row once checked: none (one empty mapping for them all,
# never written to).
_CHECKED: dict[str, Any] = {}


Progress = Callable[[int, int], None]  # rows read, rows checked
Checked = Callable[[int, int, int], None]  # rows read; records checked, of how many (this share's)


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
    """Read the stored file and check it (see :func:`check_records`), a large one with a helper process
    (:mod:`apps.uploads.helper`); a file the reader refuses (too many rows) raises its
    :class:`~apps.uploads.sniffing.UploadRefused`, in the reader's words."""
    today = timezone.localdate()  # one day for both processes

    def check_share(share: Share, progress: Progress, checked: Checked) -> Findings:
        numbers = _Numbers(share)
        wanted = None if share.whole else numbers.owns
        reading = read_upload(path, format=file_format, encoding=encoding, variant=variant, wanted=wanted)
        findings = _check_share(
            reading,
            actor=actor,
            variant=variant,
            progress=progress,
            checked=checked,
            submit=submit,
            file_problems=lambda: reading.summary.problems,
            share=share,
            numbers=numbers,
            today=today,
        )
        findings.encoding = reading.summary.encoding  # the codec read with (none for a workbook)
        findings.separator = reading.summary.separator
        return findings

    def helpers_work(share: Share, checked: Callable[[int, int], None]) -> Findings:
        return check_share(share, _silent, lambda _read, done, total: checked(done, total)).handed()

    helper = start_helper(path, helpers_work)
    if helper is None:
        return joined([check_share(WHOLE, progress, _told(progress))], actor=actor, progress=progress)
    tally = _Tally(progress, helper)
    try:
        own = check_share(WORKERS_SHARE, progress, tally)
        try:
            theirs = helper.result(tally.again, every=max(float(settings.RILO_UPLOADS_PROGRESS_SECONDS), 0.05))
        except HelperFailed:
            logger.warning("An upload's check helper failed: the worker's process checks its share.", exc_info=True)
            theirs = check_share(HELPERS_SHARE, _silent, tally.instead)
    finally:
        helper.stop()
    return joined([own, theirs], actor=actor, progress=progress)


def _silent(*counts: int) -> None:
    """The progress of a helper's reading: the worker's process tells its own."""


def _told(progress: Progress) -> Checked:
    def checked(read: int, done: int, total: int) -> None:
        progress(read, read * done // (total or 1))

    return checked


class _Tally:
    """The progress of a check with a helper, told by the worker's process: its records checked and the
    helper's, of both's (the helper's about as many as its own until it has read the file); never backwards.
    The helper's share checked here instead (its helper failed) is told :meth:`instead`."""

    def __init__(self, progress: Progress, helper: CheckHelper) -> None:
        self.progress, self.helper = progress, helper
        self.read = self.done = self.total = self.told = 0
        self.here: tuple[int, int] | None = None  # the helper's share checked here: done, of how many

    def __call__(self, read: int, done: int, total: int) -> None:
        self.read, self.done, self.total = read, done, total
        self.again()

    def instead(self, read: int, done: int, total: int) -> None:
        self.here = (done, total)
        self.again()

    def again(self) -> None:
        helper_done, helper_total = self.here if self.here is not None else self.helper.progress()
        total = self.total + (helper_total or self.total)
        self.told = max(self.told, min(self.read * (self.done + helper_done) // (total or 1), self.read))
        self.progress(self.read, self.told)


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


@dataclass(slots=True)
class _Report:
    """The rows of one national reference, in file order."""

    reference: str
    record: Record | None = None
    parts: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))


class _Numbers(dict[str, int]):
    """Every national reference's number, in the order they first appear in the file: which share checks it."""

    def __init__(self, share: Share) -> None:
        super().__init__()
        self.share = share
        # The last reference asked of (the records of a row, and the rows of a report, come one after another):
        # as read, and what was answered.
        self._last: tuple[Any, tuple[str, bool]] = (None, ("", share.first))

    def number(self, reference: str) -> int:
        """The reference's number, given it if it is new (asked of each row, in the file's order)."""
        return self.setdefault(reference, len(self))

    def of(self, value: Any) -> tuple[str, bool]:
        """The reference ``value`` (as read) as compared, numbered if it is new, and whether this share checks
        its rows (asked of each row by the reader, then of each of its records)."""
        last, known = self._last
        if value is last or (type(value) is str and value == last):
            return known
        reference = _text(value)
        known = (reference, self.share.owns(self.number(reference))) if reference else ("", self.share.first)
        self._last = (value, known)
        return known

    def owns(self, value: Any) -> bool:
        """Whether this share checks the rows of the reference ``value`` (as read): what the reader asks."""
        return self.of(value)[1]


@dataclass
class _Grouped:
    """A share's rows by national reference (in file order), and what reading every row told."""

    numbers: _Numbers  # every reference's number, in the order they first appear
    reports: dict[str, _Report] = field(default_factory=dict)
    located: dict[str, Record] = field(default_factory=dict)  # the first share's: each report's row (no values)
    given_parts: set[str] = field(default_factory=set)  # the parts the file has rows of
    names: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)  # each layout's, held once
    read: int = 0


def _group(
    records: Iterable[Record], problems: Problems, progress: Progress, share: Share, numbers: _Numbers
) -> _Grouped:
    """The share's rows by national reference, the reader's cell problems recorded; the rows of the file read
    (a row counts once, whatever records it gives)."""
    grouped = _Grouped(numbers)
    reports, numbers = grouped.reports, grouped.numbers
    last: tuple[str, int] | None = None
    for ordinal, record in enumerate(records):
        if (record.sheet, record.row) != last:  # a CSV row gives several records (its report, its item…)
            grouped.read += 1
            last = (record.sheet, record.row)
            if not grouped.read % _PROGRESS_EVERY:
                progress(grouped.read, 0)
        values = record.given()  # (a record checked before is held already)
        reference, owned = numbers.of(values.get(REFERENCE))
        if reference:
            if record.part != "report":
                grouped.given_parts.add(record.part)
            if not owned:
                if share.first and record.part == "report" and reference not in grouped.located:
                    grouped.located[reference] = dataclasses.replace(record, values=_CHECKED, problems=())
                continue
        elif not owned:
            continue
        problems.at = (READING, ordinal)
        for cell_problem in record.problems:
            problems.cell(cell_problem, reference)
        if not reference:
            problems.error(
                record,
                REFERENCE,
                _("National reference: every row needs the national reference of its report."),
            )
        else:
            group = reports.setdefault(reference, _Report(reference))
            values[REFERENCE] = group.reference  # one string for the rows of a report, not one each
            # Held compactly until its report is checked (every row is held until then).
            names = tuple(values)
            record.held = (grouped.names.setdefault(names, names), tuple(values.values()))
            record.values = _CHECKED
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
                group.parts[record.part].append(record)
    progress(grouped.read, 0)
    return grouped


def _given(record: Record) -> dict[str, Any]:
    """A report's row as the file gives it: each field of its layout, blank ones ``None`` (an update clears
    them, where a field the file has no column for is kept)."""
    return {**dict.fromkeys(record.cells), **record.given()}


def _row_values(record: Record) -> dict[str, Any]:
    """A part's row as the validator cleans it (without its reference)."""
    return {name: value for name, value in record.pairs() if name != REFERENCE}


def _report_values(record: Record) -> dict[str, str]:
    return {name: _text(value) for name, value in record.given().items() if value is not None}


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
    findings = _check_share(
        records,
        actor=actor,
        variant=variant,
        progress=progress,
        checked=_told(progress),
        submit=submit,
        file_problems=file_problems,
        share=WHOLE,
    )
    return joined([findings], actor=actor, progress=progress)


def _check_share(
    records: Iterable[Record],
    *,
    actor: Actor,
    variant: str,
    progress: Progress,
    checked: Checked,
    submit: bool,
    file_problems: Callable[[], Iterable[CellProblem]],
    share: Share,
    numbers: _Numbers | None = None,
    today: dt.date | None = None,
) -> Findings:
    """Check the reports of ``share`` (the first share also the file as a whole); ``numbers``: the references'
    as the reading numbered them (else numbered here); ``today``: the check's day (else today)."""
    problems = Problems()
    grouped = _group(records, problems, progress, share, _Numbers(share) if numbers is None else numbers)
    reports, read = grouped.reports, grouped.read
    findings = Findings(problems, Compared(), read, grouped.numbers, grouped.located)
    problems.at = (FILE, 0)
    whole_file = list(file_problems()) if share.first else []
    for problem in whole_file:
        problems.cell(problem, "")
    if share.first and not read and not whole_file:
        problems.error(None, "", _("The file holds no report: fill in the template's sheets and upload it again."))
    existing = existing_reports(actor, list(reports))
    # Updated drafts keep the parts the file has no rows of: what they hold counts for the rules that read them.
    kept_parts = stored_parts(
        [existing[reference][0] for reference in reports if reference in existing]
        if existing  # (a report's detection methods may be missing from the file too)
        else []
    )
    terms = Terms()
    may_record_parties = actor.has_perm("reports.view_personal_data_report")
    attachable = set(joint_operations_attachable(actor=actor).values_list("pk", flat=True))
    # The checked reports held pickled, a spool per block; what the duplicate rule compares of them.
    spools: list[tuple[int, ReportSpool]] = []
    shown = int(settings.RILO_UPLOADS_PREVIEW_REPORTS)  # reports in the preview
    today = today or timezone.localdate()
    # Progress in the file's rows: the share of the records checked (a CSV row gives several records).
    records_total = sum(1 + sum(len(rows) for rows in group.parts.values()) for group in reports.values())
    done = told = 0
    for group in reports.values():
        number = grouped.numbers[group.reference]
        problems.at = (CHECKING, number)
        if not spools or spools[-1][0] != share.block(number):
            if spools:
                spools[-1][1].seal()  # the block's reports pickled now, not held until the end
            spools.append((share.block(number), ReportSpool(known=findings.known)))
        result = _check_report(
            group,
            problems=problems,
            terms=terms,
            variant=variant,
            existing=existing.get(group.reference),
            given_parts=grouped.given_parts,
            kept_parts=kept_parts,
            may_record_parties=may_record_parties,
            attachable=attachable,
            submit=submit,
            today=today,
        )
        if result is not None:
            spools[-1][1].append(result)
            findings.outline.add(result)
            findings.compared.add(group.reference, result)
            findings.new_reports += result.existing_id is None
            if len(findings.previews) < shown:
                findings.previews.append((number, preview(group.reference, group.record, result)))
        done += 1 + sum(len(rows) for rows in group.parts.values())
        # Its rows' values are no longer needed (a large file is not held twice): the report's row keeps where
        # it is, for the problems that name it.
        group.parts = {}
        if group.record is not None:
            group.record = dataclasses.replace(group.record, values=_CHECKED, problems=(), held=None)
            if share.first:
                grouped.located[group.reference] = group.record
        if done >= told + _PROGRESS_EVERY:
            told = done
            checked(read, done, records_total)
    checked(read, done, records_total)
    findings.pieces = [(block, spool.pieces(), len(spool)) for block, spool in spools]
    findings.terms = set(findings.known)  # every instance the pieces name, now that they are pickled
    findings.compared.recall(actor)  # what is recorded that the share's items may match: both processes at once
    return findings


def _check_report(
    group: _Report,
    *,
    problems: Problems,
    terms: Terms,
    variant: str,
    existing: tuple[int, str] | None,
    given_parts: set[str],
    kept_parts: Mapping[str, Mapping[int, list[Any]]],
    may_record_parties: bool,
    attachable: set[int],
    submit: bool,
    today: dt.date,
) -> CheckedReport | None:
    """One report cleaned by the one validator, its errors put at their cells; None if it has errors."""
    record, reference = group.record, group.reference
    before = problems.found
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
    operation = fields.get("operation")
    if (isinstance(operation, str) and operation.strip()) or (
        isinstance(operation, Operation) and operation.pk not in attachable
    ):
        # Unknown, or another region's: one answer, the validator's to a code that does not exist (with the code as
        # typed), and the rest checked without it, so that nothing else tells the two apart.
        del fields["operation"]
        unknown = unknown_operation(_given(record).get("operation"))
        _put_at_cells(group, {("operation",): [unknown]}, problems, terms)
    parts: dict[str, list[dict[str, Any]] | None] = {}
    for part, wire_key in ROW_PARTS.items():
        rows = group.parts.get(part, [])
        if part not in given_parts:
            parts[wire_key] = None  # the file has no such rows at all: an updated draft keeps its own
            continue
        parts[wire_key] = [terms.resolve(part, _row_values(row)) for row in rows]
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
    given = completeness_parts(
        report_values,
        {name: cleaned.get(name) or [] if parts[name] is not None else None for name in ("items", "route")},
        existing_id=existing[0] if existing is not None else None,
        stored=kept_parts,
    )
    items = given["items"]
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
            detection_methods=given["detection_methods"],
            items=items,
            route=given["route"],
            errors=errors,
        )
        _put_at_cells(group, errors.paths, problems, terms)
    if problems.found > before or reference in problems.error_references:
        return None
    return CheckedReport(
        existing_id=existing[0] if existing is not None else None,
        report_values=report_values,
        parts={key: rows for key, rows in cleaned.items() if rows is not None},
    )


_WIRE_TO_PART = {wire_key: part for part, wire_key in ROW_PARTS.items()}


def _put_at_cells(group: _Report, paths: Mapping[ErrorPath, list[str]], problems: Problems, terms: Terms) -> None:
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


def _spec(part: str, name: str) -> catalogue.Field | None:
    try:
        return catalogue.field(part, name)
    except KeyError:
        return None


def _label(part: str, name: str) -> str:
    spec = _spec(part, name)
    return str(spec.label) if spec is not None else name


def _words(part: str, name: str, message: str, record: Record | None, terms: Terms) -> str:
    """The validator's message, prefixed by the column's label; for a code it does not know, what to use."""
    if not name:
        return message
    label = _label(part, name)
    spec = _spec(part, name)
    if spec is not None and spec.kind in ("term", "terms") and says_unknown_code(message):
        typed = _text(record.given().get(name) if record is not None else "")
        return _(
            "%(label)s: %(value)s is not a code in use; use %(choices)s or another code of the template's list."
        ) % {"label": label, "value": quoted(typed), "choices": terms.choices(spec, typed)}
    return _("%(label)s: %(message)s") % {"label": label, "message": message}
