"""The workflow trail and the audit events of an upload's commit (:mod:`apps.uploads.writing`): what
``report_create_draft``, ``report_update_draft`` and ``report_send_for_review`` record for one report, made for
thousands at once, by the server from the report rows just written where it can."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection, models

from apps.audit.models import AuditEvent
from apps.audit.services import audit_request_id
from apps.core.actor import Actor
from apps.reports.choices import ReportStatus, Transition
from apps.reports.duplicates import candidates_told, store_duplicate_candidates
from apps.reports.models import DuplicateCandidate, Report, ReviewEvent
from apps.reports.services.steps import trail_detail, update_detail
from apps.reports.services.workflow import SENT_FOR_REVIEW_FROM
from apps.tenancy.models import Administration

from .copying import Table, quote

if TYPE_CHECKING:
    from .writing import CheckedReport


class Trail:
    """The trail and audit rows of one commit by ``actor`` at ``at``; ``reports``: the reports' table, quoted."""

    def __init__(self, *, actor: Actor, administration: Administration, at: Any, reports: str) -> None:
        self.actor = actor
        self.administration = administration
        self.now = at
        self.reports = reports
        self.events = Table(ReviewEvent, with_pk=False)
        self.audit = Table(AuditEvent, with_pk=False)
        self.request_id = audit_request_id()

    def audit_row(self, *, action: str, report_id: int, report_uuid: Any, detail: dict[str, Any]) -> tuple[Any, ...]:
        return self.audit.row(
            {
                "at": self.now,
                "actor_id": self.actor.pk,
                "action": action,
                "object_type": Report._meta.label_lower,
                "object_id": str(report_id),
                "object_uuid": report_uuid,
                "administration_id": self.administration.pk,
                "region_id": self.administration.region_id,
                "detail": detail,
                "request_id": self.request_id,
            }
        )

    def event_row(self, *, report_id: int, transition: str, from_status: str, to_status: str, version: int) -> Any:
        return self.events.row(
            {
                "report_id": report_id,
                "transition": transition,
                "from_status": from_status,
                "to_status": to_status,
                "version": version,
                "actor_id": self.actor.pk,
                "comment": "",
                "free_text_checked": False,
                "at": self.now,
            }
        )

    def _insert_from_reports(
        self, cursor: Any, model: type[models.Model], values: Mapping[str, str], ids: list[int], **params: Any
    ) -> None:
        """``INSERT INTO <model's table> SELECT`` one row per report of ``ids``: ``values`` gives each column's
        expression by field name, over the report's row (``report.<column>``) or ``params`` (``%(name)s``)."""
        columns = ", ".join(quote(model._meta.get_field(name).column) for name in values)  # type: ignore[union-attr, arg-type]
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 - names from the models
            f"SELECT {', '.join(values.values())} FROM {self.reports} AS report "
            f"WHERE report.id = ANY(%(ids)s) ORDER BY report.id",
            {"ids": ids, **params},
        )

    def write(self, cursor: Any, chunk: Sequence[CheckedReport], rows: list[dict[str, Any]]) -> None:
        """``create`` in the trail and the audit log of a new report; ``update`` in the audit log of another.

        Made by the server from the rows just written (one statement for a chunk's events, one per audit detail)."""
        column = {field.name: f"report.{quote(field.column)}" for field in Report._meta.concrete_fields}
        new_ids = [row["id"] for report, row in zip(chunk, rows, strict=True) if report.existing_id is None]
        audit_field = AuditEvent._meta.get_field("detail")
        audit = {
            "at": "%(at)s",
            "actor": "%(actor)s",
            "action": "%(action)s",
            "object_type": "%(object_type)s",
            "object_id": f"{column['id']}::text",
            "object_uuid": column["uuid"],
            "administration": column["administration"],
            "region": "%(region)s",
            "detail": "%(detail)s",
            "request_id": "%(request_id)s",
        }
        common = {
            "at": self.now,
            "actor": self.actor.pk,
            "object_type": Report._meta.label_lower,
            "region": self.administration.region_id,
            "request_id": self.request_id,
        }
        if new_ids:
            self._insert_from_reports(
                cursor,
                ReviewEvent,
                {
                    "report": column["id"],
                    "transition": "%(transition)s",
                    "from_status": "%(from_status)s",
                    "to_status": column["status"],
                    "version": column["version"],
                    "actor": "%(actor)s",
                    "comment": "%(comment)s",
                    "free_text_checked": "%(free_text_checked)s",
                    "at": "%(at)s",
                },
                new_ids,
                transition=Transition.CREATE,
                from_status="",
                comment="",
                free_text_checked=False,
                actor=self.actor.pk,
                at=self.now,
            )
            # Every new report is a draft of version 1: one detail for them all.
            detail = trail_detail(from_status="", to_status=ReportStatus.DRAFT, version=1)
            self._insert_from_reports(
                cursor,
                AuditEvent,
                audit,
                new_ids,
                **common,
                action="report.create",
                detail=audit_field.get_db_prep_save(detail, connection),
            )
        by_detail: dict[str, tuple[dict[str, Any], list[int]]] = {}
        for report, row in zip(chunk, rows, strict=True):
            if report.existing_id is not None:
                detail = update_detail(report.report_values, report.parts)
                by_detail.setdefault(json.dumps(detail, sort_keys=True), (detail, []))[1].append(row["id"])
        for detail, ids in by_detail.values():
            self._insert_from_reports(
                cursor,
                AuditEvent,
                audit,
                ids,
                **common,
                action="report.update",
                detail=audit_field.get_db_prep_save(detail, connection),
            )

    def write_sent_for_review(self, from_status: dict[int, str]) -> None:
        """The trail and audit events of the reports just sent for review (by id: the state each was sent from),
        with their duplicate candidates stored, each looked for among every report written before it."""
        events, audit = [], []
        for report in Report.objects.filter(pk__any=list(from_status)).select_related("administration"):
            # The candidates the uploader may be told of, as report_send_for_review counts them.
            told = 0
            if store_duplicate_candidates(report):
                told = candidates_told(self.actor, DuplicateCandidate.objects.filter(report=report)).count()
            before = from_status[report.pk]
            transition = SENT_FOR_REVIEW_FROM[ReportStatus(before)]
            events.append(
                self.event_row(
                    report_id=report.pk,
                    transition=transition,
                    from_status=before,
                    to_status=report.status,
                    version=report.version,
                )
            )
            audit.append(
                self.audit_row(
                    action=f"report.{transition}",
                    report_id=report.pk,
                    report_uuid=report.uuid,
                    detail=trail_detail(
                        from_status=before,
                        to_status=report.status,
                        version=report.version,
                        detail={"duplicate_candidates": told},
                    ),
                )
            )
        with connection.cursor() as wrapper, connection.wrap_database_errors:
            self.events.copy(wrapper.cursor, events)
            self.audit.copy(wrapper.cursor, audit)
