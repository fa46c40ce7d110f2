"""Two pushes of one report at the same time make one report: the unique constraints decide, the loser updates."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from django.db import connection, transaction

from apps.reports.models import Report
from apps.reports.services import report_upsert_from_api
from tests.builders import ROUTE, complete_fields, item_row


def _wait_for_a_blocked_backend(deadline_seconds: float = 20.0) -> None:
    """Return once another session of this database waits on a lock (the second push, on the unique index)."""
    deadline = time.monotonic() + deadline_seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees its first snapshot
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second push never waited for the first one")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("identified_by", ["uuid", "national_reference"])
def test_two_pushes_of_one_report_at_once_make_one_report(nsys, identified_by):
    identity = uuid.uuid4() if identified_by == "uuid" else None
    fields = complete_fields(national_reference="FR-RACE-1")  # the vocabulary exists before the threads start
    items = [item_row()]
    results: dict[str, Any] = {}
    errors: list[BaseException] = []
    first_written = threading.Event()

    def push(name: str, place: str) -> tuple[Report, bool]:
        return report_upsert_from_api(
            actor=nsys, uuid=identity, fields={**fields, "place": place}, items=items, route=ROUTE
        )

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = push("first", "Le Havre")
                first_written.set()
                _wait_for_a_blocked_backend()  # commit only once the second push is held up by this row
        except BaseException as error:
            errors.append(error)
            first_written.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            first_written.wait()
            results["second"] = push("second", "Rouen")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    reports = Report.objects.filter(administration=nsys.administration, national_reference="FR-RACE-1")
    assert reports.count() == 1
    assert (results["first"][1], results["second"][1]) == (True, False)  # created, then updated
    assert results["second"][0].pk == results["first"][0].pk
    assert reports.get().place == "Rouen"
    if identity is not None:
        assert reports.get().uuid == identity
