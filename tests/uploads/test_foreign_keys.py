"""A commit writes its reports' rows without a trigger per foreign key and checks each key once per distinct
value (apps/uploads/foreign_keys.py, ``RILO_UPLOADS_KEYS_CHECKED_ONCE``): a value that references nothing refuses
the commit, with the setting on as with the triggers; the rows referenced are locked until the transaction ends;
every constraint of the tables is checked, the trail's and audit rows' too; nothing else the replication role
silences is in them; and a role that may not set it keeps the triggers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.reference.models import Unit
from apps.reports.models import Report, ReportItem, ReviewEvent
from apps.uploads import writing
from apps.uploads.foreign_keys import KeysCheckedOnce, Written, constrained_keys, may_write_unchecked
from apps.uploads.trail import Trail
from apps.uploads.writing import Outline, reports_write
from tests.builders import report_body

from .test_writing import checked

pytestmark = pytest.mark.django_db

UNITS = Unit._meta.db_table
TABLES = [table.model._meta.db_table for table in writing._report_tables()]


def _unit(code: str) -> Unit:
    return Unit.objects.create(code=code, label=f"Unit {code}", dimension=Unit.Dimension.MASS, factor=Decimal(1))


def _with_unit(unit: Unit, reference: str) -> Any:
    body = report_body(reference)
    body["items"] = [{**row, "unit": unit} for row in body["items"]]
    return checked(body)


def _write(actor, reports) -> None:
    reports_write(actor=actor, reports=reports, submit=False, progress=lambda done: None, outline=Outline.of(reports))


def _other_connection() -> psycopg.Connection[Any]:
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    )


@pytest.mark.django_db(transaction=True)  # the triggers check at COMMIT: the test's transaction commits
@pytest.mark.parametrize("once", [True, False], ids=["keys checked once", "a trigger per row"])
def test_a_term_deleted_before_the_write_refuses_the_commit(alice, settings, once: bool) -> None:
    settings.RILO_UPLOADS_KEYS_CHECKED_ONCE = once
    unit = _unit("ZZK")
    report = _with_unit(unit, "FR-GONE-UNIT")
    Unit.objects.filter(pk=unit.pk).delete()  # gone between the check and the commit

    with pytest.raises(IntegrityError, match=UNITS), transaction.atomic():
        _write(alice, [report])

    assert not Report.objects.filter(national_reference="FR-GONE-UNIT").exists()


@pytest.mark.django_db(transaction=True)  # the terms committed: another connection sees them
def test_the_terms_referenced_are_locked_against_deletion_until_the_commit_ends(alice) -> None:
    unit, spare = _unit("ZZL"), _unit("ZZM")
    lock = f"SELECT 1 FROM {UNITS} WHERE id = %s FOR UPDATE NOWAIT"  # noqa: S608 - the model's table

    with transaction.atomic():
        _write(alice, [_with_unit(unit, "FR-LOCKED")])
        with _other_connection() as other:
            # A term no row references may be locked by anyone; the one the upload's rows reference is held.
            other.execute(lock, [spare.pk])
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(lock, [unit.pk])
        transaction.set_rollback(True)

    with _other_connection() as other:  # the transaction over, the term is free again
        other.execute(lock, [unit.pk])


def test_the_keys_of_the_trail_and_audit_rows_written_are_checked_too(alice, settings, monkeypatch) -> None:
    settings.RILO_UPLOADS_KEYS_CHECKED_ONCE = True
    looked_up: dict[tuple[str, str], list[Any]] = {}
    real = KeysCheckedOnce._referenced

    def referenced(self, cursor, model, key, values, **known):  # type: ignore[no-untyped-def]
        looked_up[model._meta.label, key.column] = sorted(values)
        return real(self, cursor, model, key, values, **known)

    monkeypatch.setattr(KeysCheckedOnce, "_referenced", referenced)

    with transaction.atomic():
        _write(alice, [_with_unit(_unit("ZZT"), "FR-TRAIL")])
        report = Report.objects.get(national_reference="FR-TRAIL")
        unit_id = report.items.get().unit_id
        transaction.set_rollback(True)

    administration = alice.administration
    # A key to the commit's own reports is not gathered table by table: its values are the reports' ids, found once.
    assert ("reports.ReviewEvent", "report_id") not in looked_up
    assert ("reports.ReportItem", "report_id") not in looked_up
    assert looked_up["reports.ReportItem", "unit_id"] == [unit_id]
    assert looked_up["reports.ReviewEvent", "actor_id"] == [alice.pk]
    assert looked_up["audit.AuditEvent", "actor_id"] == [alice.pk]
    assert looked_up["audit.AuditEvent", "administration_id"] == [administration.pk]
    assert looked_up["audit.AuditEvent", "region_id"] == [administration.region_id]


def _after_the_trail(monkeypatch: Any, statement: Callable[[Any, Any, list[dict[str, Any]]], None]) -> None:
    """``statement(trail, cursor, rows)`` run after each chunk's trail is written, still without triggers."""
    real = Trail.write

    def then(self, cursor, chunk, rows):  # type: ignore[no-untyped-def]
        real(self, cursor, chunk, rows)
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "replica"  # written without their triggers: only the check can tell
        statement(self, cursor, rows)

    monkeypatch.setattr(Trail, "write", then)


def test_an_audit_row_whose_key_references_nothing_refuses_the_commit(alice, settings, monkeypatch) -> None:
    settings.RILO_UPLOADS_KEYS_CHECKED_ONCE = True
    _after_the_trail(
        monkeypatch,
        lambda trail, cursor, rows: cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET region_id = %s WHERE at = %s",  # noqa: S608
            [-1, trail.now],
        ),
    )

    with pytest.raises(IntegrityError, match=AuditEvent._meta.db_table), transaction.atomic():
        _write(alice, [_with_unit(_unit("ZZU"), "FR-BAD-TRAIL")])

    assert not Report.objects.filter(national_reference="FR-BAD-TRAIL").exists()


def test_a_row_naming_a_report_of_the_commit_that_is_not_there_refuses_the_commit(alice, settings, monkeypatch) -> None:
    # The commit's own reports are looked up once for all the tables naming them: one found is not taken for all.
    settings.RILO_UPLOADS_KEYS_CHECKED_ONCE = True
    _after_the_trail(
        monkeypatch,
        lambda trail, cursor, rows: cursor.execute(
            f"DELETE FROM {Report._meta.db_table} WHERE id = %s",  # noqa: S608
            [rows[-1]["id"]],
        ),
    )

    with pytest.raises(IntegrityError, match="violates its foreign key report_id"), transaction.atomic():
        _write(alice, [_with_unit(_unit("ZZV"), "FR-KEPT"), _with_unit(_unit("ZZW"), "FR-GONE")])

    assert not Report.objects.filter(national_reference__in=["FR-KEPT", "FR-GONE"]).exists()


class _Counted:
    """A cursor that counts the statements it runs."""

    def __init__(self, cursor: Any) -> None:
        self.cursor, self.statements = cursor, 0

    def execute(self, *args: Any) -> None:
        self.statements += 1
        self.cursor.execute(*args)

    def fetchall(self) -> list[Any]:
        return self.cursor.fetchall()


def test_the_commits_reports_are_looked_up_once_and_one_found_is_not_taken_for_another(alice, settings) -> None:
    settings.RILO_UPLOADS_KEYS_CHECKED_ONCE = True
    key = ReportItem._meta.get_field("report")
    with transaction.atomic():
        _write(alice, [_with_unit(_unit("ZZX"), "FR-FOUND")])
        found = Report.objects.get(national_reference="FR-FOUND").pk
        missing = 0  # an id of the commit's that no report holds
        own = frozenset({found, missing})
        with connection.cursor() as wrapper:
            keys = KeysCheckedOnce(wrapper.cursor, report=Report, tables=[], at=timezone.now())
            cursor = _Counted(wrapper.cursor)
            with CaptureQueriesContext(connection) as looked_up:
                present = keys._found([found, missing])
            assert present == {found}
            keys._referenced(cursor, ReportItem, key, [found], own=own, found=present)
            assert len(looked_up) + cursor.statements == 1  # the one lookup, none per key
            with pytest.raises(IntegrityError, match=f"{missing!r} is not present in table"):
                keys._referenced(cursor, ReportItem, key, [found, missing], own=own, found=present)
        transaction.set_rollback(True)


def test_a_report_that_a_written_report_duplicates_is_checked_as_any_other_key(alice, settings, monkeypatch) -> None:
    # A key to the reports that is not the table's report column is gathered and looked up, as any other.
    settings.RILO_UPLOADS_KEYS_CHECKED_ONCE = True
    _after_the_trail(
        monkeypatch,
        lambda trail, cursor, rows: cursor.execute(
            f"UPDATE {Report._meta.db_table} SET duplicate_of_id = %s WHERE id = %s",  # noqa: S608
            [-1, rows[-1]["id"]],
        ),
    )

    with pytest.raises(IntegrityError, match="violates its foreign key duplicate_of_id"), transaction.atomic():
        _write(alice, [_with_unit(_unit("ZZD"), "FR-DUPLICATES-NOTHING")])

    assert not Report.objects.filter(national_reference="FR-DUPLICATES-NOTHING").exists()


def test_a_missing_report_of_the_commit_is_refused_only_where_a_row_of_its_time_names_it(alice, settings) -> None:
    settings.RILO_UPLOADS_KEYS_CHECKED_ONCE = True
    events = [Written(ReviewEvent, "report_id", dated="at")]
    with transaction.atomic():
        _write(alice, [_with_unit(_unit("ZZE"), "FR-EVENTS")])
        report = Report.objects.get(national_reference="FR-EVENTS")
        at = ReviewEvent.objects.get(report=report).at  # the commit's time
        missing = 0  # an id of the commit's that no report holds, and no event names
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor
            KeysCheckedOnce(cursor, report=Report, tables=events, at=at).check(cursor, [report.pk, missing])
            cursor.execute(f"DELETE FROM {Report._meta.db_table} WHERE id = %s", [report.pk])  # noqa: S608
            later = at + dt.timedelta(seconds=1)  # no event of that time names it
            KeysCheckedOnce(cursor, report=Report, tables=events, at=later).check(cursor, [report.pk])
            with pytest.raises(IntegrityError, match='"reports_reviewevent" violates its foreign key report_id'):
                KeysCheckedOnce(cursor, report=Report, tables=events, at=at).check(cursor, [report.pk])
        transaction.set_rollback(True)


def test_every_foreign_key_constraint_of_the_tables_written_is_checked() -> None:
    with connection.cursor() as cursor:
        for table in writing._report_tables():
            cursor.execute(
                "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a "
                "ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
                "WHERE c.contype = 'f' AND c.conrelid = %s::regclass",
                [table.model._meta.db_table],
            )
            declared = {row[0] for row in cursor.fetchall()}
            assert declared == {key.column for key in constrained_keys(table.model)}, table.model._meta.db_table


def test_nothing_else_the_replication_role_silences_is_in_the_tables_written() -> None:
    with connection.cursor() as cursor:
        # No trigger of their own.
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgrelid = ANY(%s::regclass[])",
            [TABLES],
        )
        assert cursor.fetchall() == []
        # No rule of their own (a rule does not fire under the replication role either).
        cursor.execute(
            "SELECT ev_class::regclass::text, rulename FROM pg_rewrite "
            "WHERE ev_class = ANY(%s::regclass[]) AND rulename <> '_RETURN'",
            [TABLES],
        )
        assert cursor.fetchall() == []
        # No deferrable unique, primary or exclusion constraint (checked by a trigger when deferred).
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) "
            "AND contype IN ('u', 'p', 'x') AND condeferrable",
            [TABLES],
        )
        assert cursor.fetchall() == []
        # No foreign key of another table references the rows a commit deletes (an updated draft's parts and
        # detection methods): their deletion is checked by nothing else.
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' "
            "AND confrelid = ANY(%s::regclass[]) AND confrelid <> %s::regclass",
            [TABLES, Report._meta.db_table],
        )
        assert cursor.fetchall() == []


def test_a_role_may_skip_the_triggers_only_when_granted_the_replication_role() -> None:
    role = f"rilo_test_{uuid.uuid4().hex[:12]}"  # roles are the cluster's: one name per run
    with transaction.atomic(), connection.cursor() as cursor:
        assert may_write_unchecked(cursor.cursor)  # the tests' role is a superuser
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")  # rolled back with the test
        cursor.execute(f"SET LOCAL ROLE {role}")
        assert not may_write_unchecked(cursor.cursor)
        cursor.execute("RESET ROLE")
        cursor.execute(f"GRANT SET ON PARAMETER session_replication_role TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
        assert may_write_unchecked(cursor.cursor)
        cursor.execute("RESET ROLE")
