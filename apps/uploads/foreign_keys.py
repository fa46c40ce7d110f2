"""The foreign keys of a commit's rows checked once per distinct value, not by a trigger per row and key.

PostgreSQL checks a foreign key with a trigger per row written and key (Django declares the constraints
deferred: all of them at commit). A 100,000-row upload writes some 600,000 rows (reports, their parts and
detection methods, the history rows), about 2.3 million such checks: 13 s of its commit, more than any
statement of it. :class:`KeysCheckedOnce` writes those rows with the session's replication role ``replica``,
under which the constraint triggers do not fire (as ``pg_restore --disable-triggers`` loads rows), then checks
the same rule set-based, once per key: the distinct values the written rows hold are looked up in the table the
key references, and the rows found are locked ``FOR KEY SHARE``, the lock each trigger would have taken (no one
may delete them before this transaction ends). A value found nowhere raises ``IntegrityError``, and the
caller's transaction writes nothing. A unique constraint is an index, not a trigger: it is enforced as always.

Setting the role needs a superuser or, from PostgreSQL 15, a role granted it (``GRANT SET ON PARAMETER
session_replication_role TO <the application's role>``; see the README). Without it the rows are written with
their triggers, as any write is, and nothing else changes. The role silences every trigger of the tables
written: they have none of their own (``tests/uploads/test_foreign_keys.py`` keeps it so).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, connection, models

from apps.reports.models import Report
from apps.reports.services.steps import PART_MODELS

from .copying import quote

logger = logging.getLogger(__name__)


def may_write_unchecked(cursor: Any) -> bool:
    """Whether this session may set its replication role (a superuser, or granted ``SET`` on it)."""
    if connection.vendor != "postgresql":
        return False
    cursor.execute("SHOW is_superuser")
    if cursor.fetchone()[0] == "on":
        return True
    if (connection.pg_version or 0) < 150000:  # type: ignore[attr-defined]
        return False
    cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    return bool(cursor.fetchone()[0])


def constrained_keys(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    """The foreign keys of ``model`` the database constrains."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and getattr(field, "db_constraint", True)
    ]


def report_tables() -> list[tuple[type[models.Model], str]]:
    """The tables a commit writes a report's rows to without their triggers, each with the column that names
    the report of a row: the report, its detection methods and parts, and their history rows."""
    through = Report.detection_methods.through
    return [
        (Report, "id"),
        (Report.history.model, "id"),  # type: ignore[attr-defined]
        (through, through._meta.get_field("report").column),
        *((model, "report_id") for model in PART_MODELS.values()),
        *((model.history.model, "report_id") for model in PART_MODELS.values()),  # type: ignore[attr-defined]
    ]


class KeysCheckedOnce:
    """Rows written inside :meth:`unchecked` for the reports of the ids given to :meth:`check`, whose foreign
    keys :meth:`check` verifies. ``tables`` are the models written, each with the column that names the report
    of a row (``id`` for the report itself)."""

    def __init__(self, cursor: Any, tables: Sequence[tuple[type[models.Model], str]]) -> None:
        self.enabled = may_write_unchecked(cursor)
        if not self.enabled:
            logger.info("Upload commits check foreign keys row by row: this role may not set its replication role.")
        self.tables = tables
        self.written = {model for model, _column in tables}

    @contextmanager
    def unchecked(self, cursor: Any) -> Iterator[None]:
        """Rows written inside fire no constraint trigger: :meth:`check` must follow, in the same transaction."""
        if not self.enabled:
            yield
            return
        cursor.execute("SET LOCAL session_replication_role = replica")
        yield  # on an error, the transaction (or savepoint) rolled back restores the role
        cursor.execute("SET LOCAL session_replication_role = origin")

    def check(self, cursor: Any, report_ids: Sequence[int]) -> None:
        """Every foreign key of the rows of ``report_ids`` in the tables written references a row, now locked
        against deletion as the triggers would lock it; else ``IntegrityError`` naming the first missing value."""
        if not self.enabled or not report_ids:
            return
        # The ids as one array literal, made once (an upload's tens of thousands of ids, bound to each query).
        ids = "{" + ",".join(str(int(pk)) for pk in report_ids) + "}"
        for model, column in self.tables:
            keys = constrained_keys(model)
            if not keys:
                continue
            # One pass over the rows written: each key's distinct values.
            cursor.execute(
                "SELECT "  # noqa: S608 - names from the models
                + ", ".join(
                    f"array_agg(DISTINCT {quote(key.column)}) FILTER (WHERE {quote(key.column)} IS NOT NULL)"
                    for key in keys
                )
                + f" FROM {quote(model._meta.db_table)} WHERE {quote(column)} = ANY(%s::bigint[])",
                [ids],
            )
            for key, values in zip(keys, cursor.fetchone(), strict=True):
                if values:
                    self._referenced(cursor, model, key, values)

    def _referenced(
        self, cursor: Any, model: type[models.Model], key: models.ForeignKey[Any, Any], values: list[Any]
    ) -> None:
        target = key.target_field
        referenced = target.model
        table, column = quote(referenced._meta.db_table), quote(target.column)
        # Rows this transaction wrote are seen by no one else until it ends: no lock needed.
        lock = "" if referenced in self.written else " FOR KEY SHARE"
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} = ANY(%s){lock}", [values])  # noqa: S608
        missing = set(values) - {row[0] for row in cursor.fetchall()}
        if missing:
            raise IntegrityError(
                f'insert or update on table "{model._meta.db_table}" violates foreign key constraint: '
                f'{key.column}={sorted(missing, key=str)[0]!r} is not present in table "{referenced._meta.db_table}"'
            )
