"""The commit of an upload: its checked reports written in bulk, as the one writer of a report writes each.

:func:`reports_write` writes, inside the caller's transaction, what ``report_create_draft`` /
``report_update_draft`` (and ``report_send_for_review`` when the officer submits) write for one report — the report
row with its history row, its detection methods, each part replaced as a whole with the parts' history rows (``-``
for the rows it replaces, ``+`` for the new), the search vector, the workflow trail and the audit events, and on
submission the duplicate candidates and the e-mail to the region's analysts — but set-based: a few statements per
thousands of reports instead of a few per report. The rules are the services' own
(:mod:`apps.reports.services.steps`): the same rights, states, reference and operation checks, the same completeness
rule, the same trail and audit details.

Parts go to their tables by ``COPY`` (their ids from the table's sequence as the server copies; a new report's id
reserved first from its sequence, so the parts can name it); new reports are staged by ``COPY`` in a temporary table
and inserted with their search vectors once their items are written; an update of drafts goes through a temporary
table and one ``UPDATE``; their keys are checked once per value when ``RILO_UPLOADS_KEYS_CHECKED_ONCE`` is on
(:mod:`apps.uploads.foreign_keys`). The history rows, the trail and the audit rows are made by the server from the
rows just written (``INSERT … SELECT``; a submission's are copied, their keys checked by triggers:
:mod:`apps.uploads.trail`). Their commits give the figures with and without (``bulk_create`` and simple-history's
bulk helpers were about 6 times slower).

The reports are read a chunk at a time (from the kept pickled pieces, :mod:`apps.uploads.checked`), never all
held as objects. Each chunk's statements whose answers nothing waits for (the history, trail and audit rows) are
sent in the connection's pipeline mode, and the server runs them while this process reads the next chunk and makes
its rows: the server's work and ours overlap instead of taking turns.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.audit.models import AuditEvent
from apps.core.actor import Actor
from apps.core.exceptions import PermissionDenied
from apps.reports import notifications
from apps.reports.choices import ReportStatus
from apps.reports.counting import counted_reports_changed
from apps.reports.models import Report, ReportItem, ReviewEvent, RouteCountry
from apps.reports.search import SEARCH_VECTOR_SQL, refresh_search_vectors
from apps.reports.services.steps import (
    PART_MODELS,
    REFERENCE_CONSTRAINT,
    reference_taken,
    require_attachable_operations,
    require_complete,
    split_detection_methods,
)
from apps.tenancy.models import Administration

from .copying import Table, history_copy, quote, reserve_ids
from .foreign_keys import KeysCheckedOnce, Written
from .replacing import reports_to_replace
from .trail import Trail

# Reports written per round of statements: bounds the memory of the rows built in Python (a chunk's and the
# next's), and paces progress.
CHUNK = 5000


@dataclass(frozen=True)
class CheckedReport:
    """One report of an upload, as the checker hands it over.

    ``report_values`` and ``parts`` are exactly what ``steps.clean_all`` returns (a part ``None`` is left as
    it is); ``existing_id`` is the draft or returned report of the uploader's administration with the same
    national reference, which the report replaces (``None``: a new report).
    """

    existing_id: int | None
    report_values: dict[str, Any]
    parts: dict[str, list[dict[str, Any]] | None]

    @property
    def keeps_stored_parts(self) -> bool:
        """An updated draft the file gives not all that its completeness reads (items, route, detection methods):
        it keeps its own of those (:func:`completeness_parts`)."""
        return self.existing_id is not None and (
            self.parts.get("items") is None
            or self.parts.get("route") is None
            or "detection_methods" not in self.report_values
        )


@dataclass(frozen=True)
class WriteResult:
    """What a commit wrote: how many reports it created and updated, and their ids (in the order given)."""

    created: int
    updated: int
    report_ids: list[int]


@dataclass(frozen=True)
class _Batch:
    """A chunk of reports with the rows written for them, made ahead of its statements (:meth:`_Writer.batch`):
    the reports' rows by attribute name, and the COPY rows of the new reports, the replaced reports' staging,
    their detection methods and each part."""

    chunk: Sequence[CheckedReport]
    rows: list[dict[str, Any]]
    new: list[tuple[Any, ...]]
    old: list[tuple[Any, ...]]
    detection_methods: list[tuple[Any, ...]]
    parts: dict[str, list[tuple[Any, ...]]]


@dataclass
class Outline:
    """What is checked of all the reports before any is written, taken as they are checked (``add`` each): how
    many, how many new, the replaced ones, the joint operations named, and each report's national reference with
    the report it replaces."""

    count: int = 0
    new: int = 0
    new_with_parties: bool = False
    existing_ids: list[int] = field(default_factory=list)
    parties_given: set[int] = field(default_factory=set)  # replaced reports whose parties are given
    operations: list[tuple[int | None, Any]] = field(default_factory=list)  # (existing id, operation)
    references: list[tuple[str, int | None]] = field(default_factory=list)  # (national reference, existing id)

    @classmethod
    def of(cls, reports: Iterable[CheckedReport]) -> Outline:
        outline = cls()
        for report in reports:
            outline.add(report)
        return outline

    @classmethod
    def joined(cls, outlines: Iterable[Outline]) -> Outline:
        """The outline of the reports of several (the shares of one check)."""
        joined = cls()
        for outline in outlines:
            joined.count += outline.count
            joined.new += outline.new
            joined.new_with_parties = joined.new_with_parties or outline.new_with_parties
            joined.existing_ids += outline.existing_ids
            joined.parties_given |= outline.parties_given
            joined.operations += outline.operations
            joined.references += outline.references
        return joined

    def add(self, report: CheckedReport) -> None:
        self.count += 1
        if report.existing_id is None:
            self.new += 1
            self.new_with_parties = self.new_with_parties or bool(report.parts.get("parties"))
        else:
            self.existing_ids.append(report.existing_id)
            if report.parts.get("parties") is not None:
                self.parties_given.add(report.existing_id)
        if report.report_values.get("operation") is not None:
            self.operations.append((report.existing_id, report.report_values["operation"]))
        self.references.append((str(report.report_values.get("national_reference") or ""), report.existing_id))


def _chunks(reports: Iterable[CheckedReport]) -> Iterator[list[CheckedReport]]:
    reports = iter(reports)
    while chunk := list(islice(reports, CHUNK)):
        yield chunk


def reports_write(
    *,
    actor: Actor,
    reports: Iterable[CheckedReport],
    submit: bool,
    progress: Callable[[int], None],
    outline: Outline,
) -> WriteResult:
    """Write an upload's checked reports in the caller's transaction: new ones as reports of the actor's
    administration, the others over the draft or returned reports they name; all as drafts, or all sent for
    review when ``submit``. ``progress`` is called with the number of reports written so far.

    ``reports`` are read once, a chunk at a time; ``outline`` is theirs (:class:`Outline`: the check takes it as
    it keeps them), what is checked of them all before any is written.

    Raises what the services raise for one report (``PermissionDenied``, ``NotFound``, ``Conflict``,
    ``ValidationError``); the caller's transaction then writes nothing.
    """
    if not actor.has_perm("reports.add_report") or not actor.administration_id:  # type: ignore[attr-defined]
        raise PermissionDenied(gettext("You may not create reports."))
    if outline.new_with_parties and not actor.has_perm("reports.view_personal_data_report"):  # type: ignore[attr-defined]
        raise PermissionDenied(gettext("You may not record persons and companies."))
    if submit and not actor.has_perm("reports.submit_report"):  # type: ignore[attr-defined]
        raise PermissionDenied(gettext("You may not submit reports."))
    administration = Administration.objects.select_related("region").get(pk=actor.administration_id)
    existing = reports_to_replace(actor=actor, ids=outline.existing_ids, parts_given=outline.parties_given)
    current = {pk: row["operation_id"] for pk, row in existing.items()}
    require_attachable_operations(
        actor=actor,
        administration=administration,
        operations=[operation for pk, operation in outline.operations if operation.pk != current.get(pk or 0)],
    )
    with connection.cursor() as cursor:
        # No JIT for the rest of the transaction: statements over staged rows were compiled, 0.25 s a chunk's INSERT.
        cursor.execute("SET LOCAL jit = off")
        new_ids = iter(reserve_ids(cursor.cursor, Report, outline.new))
    writer = _Writer(actor=actor, administration=administration, existing=existing, submit=submit)
    ids: list[int] = []
    batches = (writer.batch(chunk, new_ids) for chunk in _chunks(reports))
    batch = next(batches, None)
    while batch is not None:
        with writer.writing(batch):
            # The next chunk read and its rows made here while the server writes this one's history and trail.
            coming = next(batches, None)
        ids += [row["id"] for row in batch.rows]
        progress(len(ids))
        batch = coming
    if len(ids) != outline.count or next(new_ids, None) is not None:
        raise ValueError("The reports written are not those their outline counts.")
    writer.check_keys(ids)
    writer.finish()
    return WriteResult(created=outline.new, updated=outline.count - outline.new, report_ids=ids)


def _taken(new_ids: Iterator[int]) -> int:
    """The next of the ids reserved for the new reports."""
    taken = next(new_ids, None)
    if taken is None:
        raise ValueError("More new reports than their outline counts.")
    return taken


def stored_parts(report_ids: Sequence[int]) -> dict[str, dict[int, list[Any]]]:
    """What the stored reports ``report_ids`` hold of the parts their completeness reads — their items (with
    the commodity type), route countries and detection methods — by part, then report: for updated drafts whose
    parts the file does not give (they keep their own)."""
    stored: dict[str, dict[int, list[Any]]] = {"items": {}, "route": {}, "detection_methods": {}}
    if not report_ids:
        return stored
    items = ReportItem.objects.filter(report_id__any=report_ids).values_list("report_id", "commodity_type_id")
    for report_id, commodity_type_id in items:
        stored["items"].setdefault(report_id, []).append({"commodity_type": commodity_type_id})
    for report_id in RouteCountry.objects.filter(report_id__any=report_ids).values_list("report_id", flat=True):
        stored["route"].setdefault(report_id, []).append(report_id)
    through = Report.detection_methods.through.objects.filter(report_id__any=report_ids)
    for report_id, method_id in through.values_list("report_id", "detectionmethod_id"):
        stored["detection_methods"].setdefault(report_id, []).append(method_id)
    return stored


def completeness_parts(
    report_values: Mapping[str, Any],
    parts: Mapping[str, Sequence[Any] | None],
    *,
    existing_id: int | None,
    stored: Mapping[str, Mapping[int, list[Any]]],
) -> dict[str, list[Any]]:
    """The detection methods, items and route a completeness rule reads: the file's, else (the file gives none of
    one) what the updated draft ``existing_id`` holds of it (``stored``: :func:`stored_parts`)."""
    given: dict[str, list[Any]] = {}
    for name in ("detection_methods", "items", "route"):
        value = (report_values if name == "detection_methods" else parts).get(name)
        given[name] = list(value) if value is not None else list(stored.get(name, {}).get(existing_id or 0, []))
    return given


def _report_tables() -> list[Written]:
    """The tables whose rows :meth:`_Writer.writing` writes without their triggers (their keys checked once)."""
    return [
        Written(Report, "id"),
        Written(Report.history.model, "id", dated="history_date"),  # type: ignore[attr-defined]
        Written(Report.detection_methods.through, Report.detection_methods.field.m2m_column_name()),
        *(Written(model, "report_id") for model in PART_MODELS.values()),
        *(Written(model.history.model, "report_id", dated="history_date") for model in PART_MODELS.values()),  # type: ignore[attr-defined]
        Written(ReviewEvent, "report_id", dated="at"),
        Written(AuditEvent, "object_id", dated="at", of_type=Report._meta.label_lower),
    ]


class _Writer:
    """The statements of one commit, run chunk by chunk (see :func:`reports_write`)."""

    def __init__(
        self, *, actor: Actor, administration: Administration, existing: dict[int, dict[str, Any]], submit: bool
    ) -> None:
        self.actor = actor
        self.administration = administration
        self.existing = existing
        self.submit = submit
        self.now = timezone.now()
        self.reports = Table(Report, with_pk=True, without=["search_vector"])
        self.detection_methods = Table(Report.detection_methods.through, with_pk=False)
        # Parts' ids are the sequence's, taken by the server as it copies (the history rows copy them from there).
        self.parts = {part: Table(model, with_pk=False) for part, model in PART_MODELS.items()}
        self.trail = Trail(actor=actor, administration=administration, at=self.now, reports=self.reports.name)
        self.staged: list[str] = []  # the temporary tables made
        self.new_staging = ""
        self.submitted: list[tuple[int, str]] = []  # (report id, the state it was sent for review from)
        with connection.cursor() as cursor:
            self.keys = KeysCheckedOnce(cursor.cursor, report=Report, tables=_report_tables(), at=self.now)

    # --- the report rows ---------------------------------------------------------------------------

    def _report_rows(self, chunk: Sequence[CheckedReport], new_ids: Iterator[int]) -> list[dict[str, Any]]:
        rows = []
        for report in chunk:
            values, _ = split_detection_methods(report.report_values)
            if report.existing_id is None:
                row = {
                    "id": _taken(new_ids),
                    "uuid": uuid.uuid4(),
                    "administration_id": self.administration.pk,
                    "created_by_id": self.actor.pk,
                    "status": ReportStatus.DRAFT,
                    "version": 1,
                    "created_at": self.now,
                }
            else:
                row = dict(self.existing[report.existing_id])
            row.update(self.reports.attributes(values))
            row["updated_at"] = self.now
            rows.append(row)
        return rows

    def _update_reports(self, cursor: Any, rows: list[tuple[Any, ...]]) -> None:
        """Replace the rows of reports that exist, through a temporary table (one UPDATE for them all)."""
        if not rows:
            return
        staging = self._staging(cursor, "upload_report_rows")
        self.reports.copy(cursor, rows, into=staging)
        assignments = ", ".join(
            f"{quote(field.column)} = staged.{quote(field.column)}"
            for field in self.reports.fields
            if not field.primary_key
        )
        cursor.execute(
            f"UPDATE {self.reports.name} AS report SET {assignments} "  # noqa: S608 - names from the model
            f"FROM {staging} AS staged WHERE report.id = staged.id"
        )

    def _check_complete(self, chunk: Sequence[CheckedReport], rows: list[dict[str, Any]]) -> None:
        """Every report sent for review meets its form variant's requirements, as when sent one by one."""
        stored = stored_parts(
            [report.existing_id for report in chunk if report.existing_id and report.keeps_stored_parts]
        )
        for report, row in zip(chunk, rows, strict=True):
            values = {field.name: row.get(field.attname) for field in self.reports.fields}
            given = completeness_parts(
                report.report_values, report.parts, existing_id=report.existing_id, stored=stored
            )
            require_complete(report_values=values, **given)

    # --- one chunk -----------------------------------------------------------------------------------

    def _staging(self, cursor: Any, name: str) -> str:
        """A temporary table shaped as the reports' (no index, no constraint), emptied: dropped at the end."""
        table = quote(name)
        if table not in self.staged:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} (LIKE {self.reports.name} INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            self.staged.append(table)
        cursor.execute(f"TRUNCATE {table}")
        return table

    def _insert_reports(self, cursor: Any) -> None:
        """The new reports' rows, with their search vectors: staged by COPY while their parts are written (the
        parts' keys to them checked later), then inserted with the vector computed from the parts."""
        columns = self.reports.columns
        search_vector = quote(Report._meta.get_field("search_vector").column)
        cursor.execute(
            f"INSERT INTO {self.reports.name} ({columns}, {search_vector}) "  # noqa: S608 - names from the models
            f"SELECT {columns}, {SEARCH_VECTOR_SQL} FROM {self.new_staging} AS r"
        )

    def batch(self, chunk: Sequence[CheckedReport], new_ids: Iterator[int]) -> _Batch:
        """The rows written for ``chunk``, its new reports numbered from ``new_ids`` (no database work)."""
        rows = self._report_rows(chunk, new_ids)
        pairs = list(zip(chunk, rows, strict=True))
        methods = self.detection_methods.row
        return _Batch(
            chunk=chunk,
            rows=rows,
            new=[self.reports.row(row) for report, row in pairs if report.existing_id is None],
            old=[self.reports.row(row) for report, row in pairs if report.existing_id is not None],
            detection_methods=[
                methods({"report_id": row["id"], "detectionmethod_id": method.pk})
                for report, row in pairs
                if report.report_values.get("detection_methods") is not None
                # a set, as .set() keeps it
                for method in {method.pk: method for method in report.report_values["detection_methods"]}.values()
            ],
            parts={
                part: [
                    table.row({"report_id": row["id"]}, values)
                    for report, row in pairs
                    for values in report.parts.get(part) or ()
                ]
                for part, table in self.parts.items()
            },
        )

    @contextmanager
    def writing(self, batch: _Batch) -> Iterator[None]:
        """Write ``batch``: its reports' rows, parts, history and trail. The statements last, whose answers
        nothing waits for (the history and the trail, made by the server), are sent in the connection's pipeline
        mode and run while the body of the ``with`` runs; they are waited for when it ends, then the reports are
        sent for review when they are to be.

        The body runs inside the pipeline and inside the savepoint where triggers are off
        (:meth:`KeysCheckedOnce.unchecked`): it must not write (it reads the next chunk and makes its rows). An
        error in the body leaves the pipeline (psycopg then only logs a statement's error) and the savepoint, and
        the caller's transaction writes nothing."""
        actor, now = self.actor, self.now
        chunk, rows = batch.chunk, batch.rows
        with connection.cursor() as wrapper, connection.wrap_database_errors:
            cursor = wrapper.cursor
            if self.submit:
                self._check_complete(chunk, rows)
            ids = [row["id"] for row in rows]
            pairs = list(zip(chunk, rows, strict=True))
            new_rows = [row for report, row in pairs if report.existing_id is None]
            old_rows = [row for report, row in pairs if report.existing_id is not None]

            # The rows of the reports, their parts, history and trail: their keys checked by check_keys, once per value.
            with self.keys.unchecked(cursor):
                self.new_staging = self._staging(cursor, "upload_new_reports")
                self.reports.copy(cursor, batch.new, into=self.new_staging)
                self._update_reports(cursor, batch.old)
                self._write_detection_methods(cursor, chunk, ids, batch.detection_methods)
                self._write_parts(cursor, chunk, ids, batch.parts)
                try:
                    # A savepoint: the constraint's name tells a reference already taken (or twice in the upload).
                    with transaction.atomic(), connection.wrap_database_errors:
                        self._insert_reports(cursor)
                except IntegrityError as error:
                    if REFERENCE_CONSTRAINT not in str(error):
                        raise
                    raise reference_taken() from error
                refresh_search_vectors([row["id"] for row in old_rows])
                with connection.connection.pipeline():
                    self._write_parts_history(cursor, chunk, ids)
                    where = f"{self.reports.name} WHERE id = ANY(%(ids)s) {{order}}"
                    for history_type, chosen in (("+", new_rows), ("~", old_rows)):
                        if chosen:
                            history_copy(
                                cursor,
                                Report,
                                source="{insert} " + where,
                                ids=[row["id"] for row in chosen],
                                history_type=history_type,
                                actor=actor,
                                at=now,
                                reason=None,
                            )
                    self.trail.write(cursor, chunk, rows)
                    yield
            if self.submit:
                self._send_for_review(cursor, rows)

    def _write_detection_methods(
        self, cursor: Any, chunk: Sequence[CheckedReport], ids: list[int], rows: list[tuple[Any, ...]]
    ) -> None:
        replaced = [
            report_id
            for report, report_id in zip(chunk, ids, strict=True)
            if report.existing_id is not None and report.report_values.get("detection_methods") is not None
        ]
        if replaced:
            Report.detection_methods.through.objects.filter(report_id__any=replaced).delete()
        self.detection_methods.copy(cursor, rows)

    def _write_parts(
        self, cursor: Any, chunk: Sequence[CheckedReport], ids: list[int], rows: dict[str, list[tuple[Any, ...]]]
    ) -> None:
        actor, now = self.actor, self.now
        for part, model in PART_MODELS.items():
            table = self.parts[part]
            replaced = [
                report_id
                for report, report_id in zip(chunk, ids, strict=True)
                if report.existing_id is not None and report.parts.get(part) is not None
            ]
            if replaced:
                columns = ", ".join(quote(field.column) for field in model.history.model.tracked_fields)  # type: ignore[attr-defined]
                history_copy(
                    cursor,
                    model,
                    source=(
                        f"WITH gone AS (DELETE FROM {table.name} WHERE report_id = ANY(%(ids)s) "  # noqa: S608
                        f"RETURNING {columns}) {{insert}} gone {{order}}"
                    ),
                    ids=replaced,
                    history_type="-",
                    actor=actor,
                    at=now,
                    reason=None,
                )
            if rows[part]:
                table.copy(cursor, rows[part])

    def _write_parts_history(self, cursor: Any, chunk: Sequence[CheckedReport], ids: list[int]) -> None:
        """The ``+`` history rows of the parts just written."""
        for part, model in PART_MODELS.items():
            given = [
                report_id for report, report_id in zip(chunk, ids, strict=True) if report.parts.get(part) is not None
            ]
            if given:
                history_copy(
                    cursor,
                    model,
                    source=f"{{insert}} {self.parts[part].name} WHERE report_id = ANY(%(ids)s) {{order}}",
                    ids=given,
                    history_type="+",
                    actor=self.actor,
                    at=self.now,
                    reason=None,
                )

    # --- submission ---------------------------------------------------------------------------------

    def _send_for_review(self, cursor: Any, rows: list[dict[str, Any]]) -> None:
        """The rows just written, sent for review: as ``report_send_for_review`` changes a report (the trail,
        the duplicate candidates and the e-mail follow in :meth:`finish`, once every report is written)."""
        ids = [row["id"] for row in rows]
        allowed = set(Report.objects.restrict(self.actor, "submit").filter(pk__any=ids).values_list("pk", flat=True))
        for row in rows:
            if row["id"] not in allowed:
                raise PermissionDenied(
                    gettext("You may not submit report %(reference)s.") % {"reference": row["national_reference"]}
                )
        Report.objects.filter(pk__any=ids).update(
            status=ReportStatus.SUBMITTED, submitted_by_id=self.actor.pk, submitted_at=self.now, updated_at=self.now
        )
        history_copy(
            cursor,
            Report,
            source=f"{{insert}} {self.reports.name} WHERE id = ANY(%(ids)s) {{order}}",
            ids=ids,
            history_type="~",
            actor=self.actor,
            at=self.now,
            reason=None,
        )
        self.submitted += [(row["id"], row["status"]) for row in rows]

    def check_keys(self, ids: list[int]) -> None:  # the keys of the rows written for the reports of ``ids``
        with connection.cursor() as wrapper, connection.wrap_database_errors:
            self.keys.check(wrapper.cursor, ids)

    def finish(self) -> None:
        """Duplicate candidates, the trail and the analysts' e-mail of the reports sent for review: each report's
        candidates are looked for among every report written before it, this upload's included."""
        with connection.cursor() as cursor:
            for table in self.staged:
                cursor.execute(f"DROP TABLE {table}")
        if not self.submitted:
            return
        from_status = dict(self.submitted)
        self.trail.write_sent_for_review(from_status)
        # What the statistics count changed as it does when one report is sent for review (steps.record marks
        # its bucket), marked for all of them at once in this transaction.
        counted_reports_changed(reports=Report.objects.filter(pk__any=list(from_status)))
        # One e-mail for the upload, not one per report: the analysts find the reports in their review queue.
        notifications.notify_submitted_in_bulk(administration=self.administration, count=len(from_status))
