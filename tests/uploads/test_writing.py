"""The bulk writer of an upload writes, report by report, what the one writer of a report writes.

Each test writes the same report twice: once through the services (``report_create_draft``,
``report_update_draft``, ``report_send_for_review``) in a savepoint rolled back after a snapshot of
every row it left (the report, its parts, their history rows, the detection methods, the trail, the
audit log, the duplicate candidates, the e-mails), then through :func:`reports_write`; the two
snapshots must be equal but for what is new on every write (ids, uuids, times).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.mail.models import MailMessage
from apps.reports.choices import ReportStatus
from apps.reports.duplicates import BY_CONVEYANCE
from apps.reports.models import DuplicateCandidate, Report, ReviewEvent
from apps.reports.services import (
    report_create_draft,
    report_send_for_review,
    report_share_with_administration,
    report_update_draft,
)
from apps.reports.services.steps import PART_MODELS, clean_all
from apps.tenancy.models import Administration
from apps.uploads import writing
from apps.uploads.writing import CheckedReport, Outline, reports_write
from tests.builders import (
    ConveyanceFactory,
    ReportFactory,
    build_report,
    cigarettes,
    complete_fields,
    complete_report,
    item_row,
    report_body,
)

# New on every write: compared by the rows they tie together, not by value.
VOLATILE = frozenset(
    {
        "id",
        "uuid",
        "report_id",
        "created_at",
        "updated_at",
        "submitted_at",
        "history_id",
        "history_date",
        "at",
        "object_id",
        "object_uuid",
        "found_at",
        "created",
        "next_attempt_at",
        "candidate_id",
        "body",
    }
)
PARTS = ("items", "route", "conveyances", "parties")


@pytest.fixture(autouse=True)
def _terms(db: None) -> None:
    """The input builders' terms made first (cocaine with its attributes), then those of the report builder."""
    item_row()
    complete_fields()


def _stable(rows: Any) -> list[dict[str, Any]]:
    return [{name: value for name, value in row.items() if name not in VOLATILE} for row in rows]


def snapshot(report_id: int) -> dict[str, Any]:
    """Every row the writers leave for one report (and the e-mails of the transaction), but what is new on every
    write."""
    taken: dict[str, Any] = {
        "report": _stable(Report.objects.filter(pk=report_id).values()),
        "report_history": _stable(Report.history.filter(id=report_id).order_by("history_id").values()),
        "detection_methods": sorted(
            Report.detection_methods.through.objects.filter(report_id=report_id).values_list(
                "detectionmethod_id", flat=True
            )
        ),
        "trail": _stable(ReviewEvent.objects.filter(report_id=report_id).order_by("pk").values()),
        "audit": _stable(
            AuditEvent.objects.filter(object_type="reports.report", object_id=str(report_id)).order_by("pk").values()
        ),
        "duplicate_candidates": _stable(DuplicateCandidate.objects.filter(report_id=report_id).values()),
        "mail": _stable(MailMessage.objects.order_by("pk").values()),
    }
    for part, model in PART_MODELS.items():
        taken[part] = _stable(model.objects.filter(report_id=report_id).order_by("pk").values())  # type: ignore[attr-defined]
        history = model.history.filter(report_id=report_id).order_by("history_id")  # type: ignore[attr-defined]
        taken[f"{part}_history"] = _stable(history.values())
    return taken


def assert_same(taken: dict[str, Any], expected: dict[str, Any]) -> None:
    """Table by table and row by row, so a difference names its table, row and column."""
    assert sorted(taken) == sorted(expected)
    for table in expected:
        assert len(taken[table]) == len(expected[table]), table
        for number, (row, wanted) in enumerate(zip(taken[table], expected[table], strict=True)):
            assert row == wanted, (table, number)


def but_mail(taken: dict[str, Any]) -> dict[str, Any]:
    return {table: rows for table, rows in taken.items() if table != "mail"}


def by_services(write: Callable[[], Report]) -> dict[str, Any]:
    """The snapshot of what ``write`` leaves, then rolled back."""
    with transaction.atomic():
        report = write()
        taken = snapshot(report.pk)
        transaction.set_rollback(True)
    return taken


def split(body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    fields = {name: value for name, value in body.items() if name not in PARTS}
    return fields, {part: body[part] for part in PARTS if part in body}


def checked(body: Mapping[str, Any], *, existing: Report | None = None, whole: bool = True) -> CheckedReport:
    """What the checker hands over for ``body``: ``clean_all``'s values (every part, or only those given)."""
    fields, parts = split(body)
    given = {part: parts.get(part, [] if whole else None) for part in PARTS}
    report_values, cleaned = clean_all(fields=fields, **given)
    return CheckedReport(existing_id=existing.pk if existing else None, report_values=report_values, parts=cleaned)


def write(actor: User, reports: list[CheckedReport], *, submit: bool = False) -> writing.WriteResult:
    return reports_write(
        actor=actor, reports=reports, submit=submit, progress=lambda done: None, outline=Outline.of(reports)
    )


def counts() -> dict[str, int]:
    return {
        "reports": Report.objects.count(),
        "history": Report.history.count(),
        "items": PART_MODELS["items"].objects.count(),  # type: ignore[attr-defined]
        "trail": ReviewEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "mail": MailMessage.objects.count(),
    }


BODIES = {
    "cocaine by sea": lambda: report_body("FR-BULK-1"),
    "cigarettes, two items, no parties": lambda: report_body(
        "FR-BULK-2", items=[cigarettes(brand="Marlboro"), item_row(quantity="3,25")], parties=[]
    ),
    "simplified, no route": lambda: report_body("FR-BULK-3", form_variant="simplified", route=[], conveyances=[]),
}


@pytest.mark.parametrize("name", BODIES)
def test_a_new_report_written_in_bulk_is_the_draft_the_one_writer_writes(alice: User, name: str) -> None:
    body = BODIES[name]()
    fields, parts = split(body)
    expected = by_services(lambda: report_create_draft(actor=alice, fields=fields, **parts))

    result = write(alice, [checked(body)])

    assert (result.created, result.updated) == (1, 0)
    assert_same(snapshot(result.report_ids[0]), expected)
    assert expected["report_history"] and expected["items_history"] and expected["trail"]


def test_many_reports_in_several_chunks_are_each_the_one_writers(alice: User, monkeypatch: Any) -> None:
    monkeypatch.setattr(writing, "CHUNK", 2)
    bodies = [report_body(f"FR-MANY-{number}", items=[item_row(quantity=str(number + 1))]) for number in range(5)]
    expected = []
    for body in bodies:
        fields, parts = split(body)
        expected.append(by_services(partial(report_create_draft, actor=alice, fields=fields, **parts)))
    seen: list[int] = []

    reports = [checked(body) for body in bodies]
    result = reports_write(
        actor=alice, reports=reports, submit=False, progress=seen.append, outline=Outline.of(reports)
    )

    assert seen == [2, 4, 5]
    for pk, wanted in zip(result.report_ids, expected, strict=True):
        assert_same(snapshot(pk), wanted)
    references = list(Report.objects.filter(pk__in=result.report_ids).values_list("national_reference", flat=True))
    assert sorted(references) == [f"FR-MANY-{number}" for number in range(5)]


def test_a_new_report_submitted_in_bulk_is_the_one_writers_draft_sent_for_review(alice: User, erin: User) -> None:
    body = report_body("FR-BULK-SUBMIT")
    fields, parts = split(body)
    # An earlier submitted report of the same seizure: a duplicate candidate of the new one.
    build_report(by=alice, reference="FR-EARLIER", through_services=True, **complete_report())

    def create_and_send() -> Report:
        report = report_create_draft(actor=alice, fields=fields, **parts)
        return report_send_for_review(report=report, actor=alice)

    expected = by_services(create_and_send)

    result = write(alice, [checked(body)], submit=True)

    taken = snapshot(result.report_ids[0])
    # All but the e-mail: an upload mails the analysts once for all its reports (test_writing_submit.py).
    assert_same(but_mail(taken), but_mail(expected))
    assert taken["report"][0]["status"] == ReportStatus.SUBMITTED
    assert [event["transition"] for event in taken["trail"]] == ["create", "submit"]
    assert taken["duplicate_candidates"] and expected["mail"]
    # The services mailed the analysts for the earlier report and for this one; the upload once for its reports.
    analysts = [mail["kind"] for mail in expected["mail"]].count("reports/email/submitted") // 2
    assert Counter(mail["kind"] for mail in taken["mail"]) == {
        "reports/email/submitted": analysts,
        "reports/email/submitted_in_bulk": analysts,
    }


@pytest.mark.parametrize("with_personal_data", [False, True])
def test_a_candidate_by_a_conveyance_alone_is_counted_in_bulk_as_the_one_writer_counts_it(
    alice: User, erin: User, france: Administration, germany: Administration, with_personal_data: bool
) -> None:
    """A German report shared with France, with or without its personal data, names the container of the report
    uploaded: the trail's count of candidates tells the officer of it only where she may see that container."""
    german = ReportFactory.create(
        administration=germany, status=ReportStatus.APPROVED, seizure_date=dt.date(2020, 1, 1)
    )
    ConveyanceFactory.create(report=german, identifier="MSCU1234565")
    report_share_with_administration(
        report=german, administration=france, actor=erin, include_personal_data=with_personal_data
    )
    body = report_body("FR-BULK-CONTAINER")
    fields, parts = split(body)
    expected = by_services(
        lambda: report_send_for_review(report=report_create_draft(actor=alice, fields=fields, **parts), actor=alice)
    )

    result = write(alice, [checked(body)], submit=True)

    taken = snapshot(result.report_ids[0])
    assert_same(but_mail(taken), but_mail(expected))
    assert [row["reasons"] for row in taken["duplicate_candidates"]] == [[BY_CONVEYANCE]]
    submitted = AuditEvent.objects.get(action="report.submit", object_id=str(result.report_ids[0]))
    assert submitted.detail["duplicate_candidates"] == (1 if with_personal_data else 0)


def test_a_draft_updated_in_bulk_is_the_one_writers_update(alice: User) -> None:
    draft = build_report(by=alice, reference="FR-DRAFT-1", status=ReportStatus.DRAFT, through_services=True)
    body = report_body("FR-DRAFT-1", place="Marseille", items=[cigarettes(), item_row()], parties=[])
    fields, parts = split(body)
    expected = by_services(lambda: report_update_draft(report=draft, actor=alice, fields=fields, **parts))

    result = write(alice, [checked(body, existing=draft)])

    assert (result.created, result.updated, result.report_ids) == (0, 1, [draft.pk])
    assert_same(snapshot(draft.pk), expected)
    assert [row["history_type"] for row in expected["items_history"]] == ["+", "-", "+", "+"]


def test_a_draft_updated_with_some_parts_keeps_the_others(alice: User) -> None:
    draft = build_report(by=alice, reference="FR-DRAFT-2", status=ReportStatus.DRAFT, through_services=True)
    body = {"national_reference": "FR-DRAFT-2", "place": "Lille", "route": [{"role": "origin", "country": "BE"}]}
    fields, parts = split(body)
    expected = by_services(lambda: report_update_draft(report=draft, actor=alice, fields=fields, **parts))

    write(alice, [checked(body, existing=draft, whole=False)])

    assert_same(snapshot(draft.pk), expected)
    assert expected["items"] and len(expected["route"]) == 1


def test_a_returned_report_updated_and_sent_again_is_the_one_writers_resubmission(alice: User, erin: User) -> None:
    returned = build_report(
        by=alice, reference="FR-RETURNED", status=ReportStatus.RETURNED, through_services=True, **complete_report()
    )
    body = report_body("FR-RETURNED", customs_office="Dunkerque")
    fields, parts = split(body)

    def update_and_send() -> Report:
        report = report_update_draft(report=returned, actor=alice, fields=fields, **parts)
        return report_send_for_review(report=report, actor=alice)

    expected = by_services(update_and_send)

    write(alice, [checked(body, existing=returned)], submit=True)

    taken = snapshot(returned.pk)
    assert_same(but_mail(taken), but_mail(expected))
    assert taken["trail"][-1]["transition"] == "resubmit"


# --- refusals: nothing written ---------------------------------------------------------------------


def refused(actor: User, reports: list[CheckedReport], error: type[Exception], *, submit: bool = False) -> None:
    before = counts()
    with pytest.raises(error), transaction.atomic():
        write(actor, reports, submit=submit)
    assert counts() == before


def test_another_administrations_draft_is_not_found(alice: User, bob: User) -> None:
    german = build_report(by=bob, reference="DE-DRAFT", status=ReportStatus.DRAFT, through_services=True)
    refused(alice, [checked(report_body("DE-DRAFT"), existing=german)], NotFound)
    assert Report.objects.get(pk=german.pk).place == german.place


def test_a_submitted_report_is_not_replaced(alice: User) -> None:
    submitted = build_report(by=alice, reference="FR-SENT", through_services=True, **complete_report())
    refused(alice, [checked(report_body("FR-SENT"), existing=submitted)], Conflict)


def test_a_new_report_with_a_reference_taken_is_refused(alice: User) -> None:
    build_report(by=alice, reference="FR-TAKEN", through_services=True, **complete_report())
    refused(alice, [checked(report_body("FR-NEW")), checked(report_body("FR-TAKEN"))], ValidationError)


def test_the_same_reference_twice_in_one_upload_is_refused(alice: User) -> None:
    refused(alice, [checked(report_body("FR-TWICE")), checked(report_body("FR-TWICE"))], ValidationError)


def test_an_incomplete_report_is_not_submitted_and_nothing_is_written(alice: User, monkeypatch: Any) -> None:
    monkeypatch.setattr(writing, "CHUNK", 1)  # the incomplete one comes after a chunk already written
    complete = checked(report_body("FR-COMPLETE"))
    incomplete = checked(report_body("FR-INCOMPLETE", place="", route=[]))
    refused(alice, [complete, incomplete], ValidationError, submit=True)


@pytest.mark.parametrize("more", [1, -1], ids=["more than written", "fewer than written"])
def test_reports_that_are_not_those_their_outline_counts_are_refused_and_nothing_is_written(
    alice: User, monkeypatch: Any, more: int
) -> None:
    monkeypatch.setattr(writing, "CHUNK", 1)  # the difference found after chunks already written
    reports = [checked(report_body("FR-COUNTED-1")), checked(report_body("FR-COUNTED-2"))]
    outline = Outline.of(reports)
    outline.count += more
    outline.new += more
    before = counts()

    with pytest.raises(ValueError, match="outline counts"), transaction.atomic():
        reports_write(actor=alice, reports=reports, submit=False, progress=lambda done: None, outline=outline)

    assert counts() == before


def test_an_analyst_may_not_upload_reports(erin: User, alice: User) -> None:
    refused(erin, [checked(report_body("FR-ANALYST"))], PermissionDenied)


def test_new_reports_belong_to_the_uploaders_administration(bob: User) -> None:
    result = write(bob, [checked(report_body("DE-OWN"))])
    report = Report.objects.get(pk=result.report_ids[0])
    assert (report.administration_id, report.created_by_id) == (bob.administration_id, bob.pk)
