"""A failure logged with its traceback keeps a database error's own words out of the log: PostgreSQL quotes
the values of the row (here a name) in its message."""

from __future__ import annotations

import logging

import pytest
from django.db import connection, transaction

from apps.core.tasklog import failure_logged

pytestmark = pytest.mark.django_db

logger = logging.getLogger("tests.failure_logged")
NAME = "Dupont Jean"  # (the traceback shows the lines it runs through: not this one)


def _database_error_about(value: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT %s::integer", [value])  # PostgreSQL answers: invalid input syntax … "<value>"


def test_a_database_errors_message_is_not_logged_its_place_and_sqlstate_are(caplog):
    with caplog.at_level(logging.ERROR, logger=logger.name):
        try:
            _database_error_about(NAME)
        except Exception:
            failure_logged(logger, "Upload %s could not be checked", "U-1")

    [record] = caplog.records
    text = caplog.text
    assert NAME not in text and "Dupont" not in text
    assert "Upload U-1 could not be checked" in text
    assert "22P02" in text and "DataError" in text  # invalid_text_representation, and the class
    assert "_database_error_about" in text  # the frames: where it failed
    assert record.exc_info is None


def test_another_error_is_logged_whole(caplog):
    with caplog.at_level(logging.ERROR, logger=logger.name):
        try:
            raise LookupError("no such sheet: Items")
        except LookupError:
            failure_logged(logger, "Upload %s could not be checked", "U-2")

    [record] = caplog.records
    assert record.exc_info is not None and "no such sheet: Items" in caplog.text
