"""A commit writes its reports' rows without a trigger per foreign key and checks each key once per distinct
value (apps/uploads/foreign_keys.py): a value that references nothing refuses the commit and nothing is written,
the rows referenced are locked until the transaction ends as the triggers would lock them, every constraint of
the tables is checked, no trigger of their own is silenced, and a role that may not skip triggers keeps them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from apps.reference.models import Unit
from apps.reports.models import ReportItem
from apps.uploads.foreign_keys import constrained_keys, may_write_unchecked, report_tables
from apps.uploads.writing import reports_write
from tests.builders import report_body

from .test_writing import checked, counts

pytestmark = pytest.mark.django_db


def _unit(code: str) -> Unit:
    return Unit.objects.create(code=code, label=f"Unit {code}", dimension=Unit.Dimension.MASS, factor=Decimal(1))


def _with_unit(unit: Unit, reference: str) -> Any:
    body = report_body(reference)
    body["items"] = [{**row, "unit": unit} for row in body["items"]]
    return checked(body)


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


def test_a_term_deleted_before_the_write_refuses_the_commit_and_nothing_is_written(alice) -> None:
    unit = _unit("ZZK")
    report = _with_unit(unit, "FR-GONE-UNIT")
    Unit.objects.filter(pk=unit.pk).delete()  # gone between the check and the commit
    before = counts()

    with pytest.raises(IntegrityError, match="reference_unit"), transaction.atomic():
        reports_write(actor=alice, reports=[report], submit=False, progress=lambda done: None)

    assert counts() == before
    assert not ReportItem.objects.filter(report__national_reference="FR-GONE-UNIT").exists()


@pytest.mark.django_db(transaction=True)  # the terms committed: another connection sees them
def test_the_terms_referenced_are_locked_against_deletion_until_the_commit_ends(alice) -> None:
    unit, spare = _unit("ZZL"), _unit("ZZM")

    with transaction.atomic():
        reports_write(actor=alice, reports=[_with_unit(unit, "FR-LOCKED")], submit=False, progress=lambda done: None)
        with _other_connection() as other:
            # A term no row references may be locked by anyone; the one the upload's rows reference is held.
            other.execute("SELECT 1 FROM reference_unit WHERE id = %s FOR UPDATE NOWAIT", [spare.pk])
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("SELECT 1 FROM reference_unit WHERE id = %s FOR UPDATE NOWAIT", [unit.pk])
        transaction.set_rollback(True)

    with _other_connection() as other:  # the transaction over, the term is free again
        other.execute("SELECT 1 FROM reference_unit WHERE id = %s FOR UPDATE NOWAIT", [unit.pk])


def test_every_foreign_key_constraint_of_the_tables_written_is_checked() -> None:
    with connection.cursor() as cursor:
        for model, _column in report_tables():
            cursor.execute(
                "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a "
                "ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
                "WHERE c.contype = 'f' AND c.conrelid = %s::regclass",
                [model._meta.db_table],
            )
            declared = {row[0] for row in cursor.fetchall()}
            assert declared == {key.column for key in constrained_keys(model)}, model._meta.db_table


def test_the_tables_written_have_no_trigger_the_replication_role_would_silence() -> None:
    tables = [model._meta.db_table for model, _column in report_tables()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgrelid = ANY(%s::regclass[])",
            [tables],
        )
        assert cursor.fetchall() == []


def test_a_role_may_skip_the_triggers_only_when_granted_the_replication_role() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        assert may_write_unchecked(cursor.cursor)  # the tests' role is a superuser
        cursor.execute("CREATE ROLE rilo_test_plain NOLOGIN")  # rolled back with the test
        cursor.execute("SET LOCAL ROLE rilo_test_plain")
        assert not may_write_unchecked(cursor.cursor)
        cursor.execute("RESET ROLE")
        cursor.execute("GRANT SET ON PARAMETER session_replication_role TO rilo_test_plain")
        cursor.execute("SET LOCAL ROLE rilo_test_plain")
        assert may_write_unchecked(cursor.cursor)
        cursor.execute("RESET ROLE")
