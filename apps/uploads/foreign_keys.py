"""The foreign keys of a commit's rows checked once per distinct value, not by a trigger per row and key.

PostgreSQL checks a foreign key with a trigger per row written and key (Django declares the constraints deferred:
all of them at commit). A 100,000-row upload writes some 600,000 rows (reports, their parts and detection methods,
the history rows), about 2.3 million such checks: 10 to 11 s of its commit's COMMIT, more than any statement of it;
and some 130,000 rows of trail and audit (two or three keys each). When ``RILO_UPLOADS_KEYS_CHECKED_ONCE`` is on,
:class:`KeysCheckedOnce` writes those rows with the session's replication role ``replica``, under which the tables'
triggers do not fire (as ``pg_restore --disable-triggers`` loads rows), then checks the same rule set-based, once
per key: the distinct values the rows hold are looked up in the table the key references, and the rows found are
locked ``FOR KEY SHARE``, the lock the triggers take. It is taken earlier than theirs (at the end of the writes, not
at COMMIT) and over more rows (an updated draft's parts left as they were; of the history, trail and audit tables,
the rows of this commit's time), so no one may delete a row referenced before this transaction ends. The commit's
own reports are looked up once for all the tables (not locked: this transaction inserted or updated them, and holds
their rows until it ends): a table's rows are those whose report column holds one of their ids, so a key that is
that column is not gathered, and its rows are searched only for a report not found. A value found nowhere raises
``IntegrityError`` and the caller's transaction writes nothing; NULL references nothing, as ``MATCH SIMPLE`` says.

What else the role silences is kept out of these tables, and tested (``tests/uploads/test_foreign_keys.py``): no
trigger or rule of their own, no deferrable unique or exclusion constraint (whose checks are triggers too), no
foreign key of another table referencing the rows they delete. The triggers of other tables that must always fire
are ``ENABLE ALWAYS`` (the exchange's immutability triggers).

Setting the role needs a superuser or, from PostgreSQL 15, a role granted it (``GRANT SET ON PARAMETER
session_replication_role TO <the application's role>``), and ``FOR KEY SHARE`` needs the ``UPDATE`` privilege on the
tables referenced (their owner has it). With the setting off, or a role that may not, the rows are written with
their triggers, as any write is.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.transaction import TransactionManagementError

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


class Written(NamedTuple):
    """A table a commit writes without its triggers: its model; the column naming the report of a row (for a
    generic reference, ``of_type`` the report's type as ``object_type`` holds it, its ``object_id`` the report's
    id as text); ``dated``, for a table that keeps the rows of earlier writes (a history, a trail), the field of
    the rows' time (its rows of this commit are those of the commit's time)."""

    model: type[models.Model]
    report_column: str
    dated: str = ""
    of_type: str = ""


class KeysCheckedOnce:
    """Rows written inside :meth:`unchecked` for the reports of the ids given to :meth:`check`, whose foreign
    keys :meth:`check` verifies. ``report`` is the model whose ids those are; ``tables`` the tables written
    (``report`` among them); ``at`` the time of the commit's history, trail and audit rows."""

    def __init__(self, cursor: Any, *, report: type[models.Model], tables: Sequence[Written], at: dt.datetime) -> None:
        self.enabled = bool(settings.RILO_UPLOADS_KEYS_CHECKED_ONCE) and may_write_unchecked(cursor)
        if settings.RILO_UPLOADS_KEYS_CHECKED_ONCE and not self.enabled:
            logger.debug("RILO_UPLOADS_KEYS_CHECKED_ONCE is on, but this role may not set its replication role.")
        self.report = report
        self.tables = tables
        self.at = at

    @contextmanager
    def unchecked(self, cursor: Any) -> Iterator[None]:
        """Rows written inside fire no trigger: :meth:`check` must follow, in the same transaction."""
        if not self.enabled:
            yield
            return
        if not connection.in_atomic_block:
            raise TransactionManagementError("Rows are written without their triggers only inside a transaction.")
        # A savepoint taken before the role is set: an error inside rolls it back and the role with it, whatever
        # the caller does next.
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
            yield
            cursor.execute("SET LOCAL session_replication_role = origin")

    def check(self, cursor: Any, report_ids: Sequence[int]) -> None:
        """Every foreign key of the rows of ``report_ids`` in the tables written references a row, now locked
        against deletion; else ``IntegrityError`` naming the key and a missing value."""
        if not self.enabled or not report_ids:
            return
        id_type = self.report._meta.pk.db_type(connection)  # type: ignore[union-attr]
        # The ids as one array literal, made once (an upload's tens of thousands of ids, bound to each query).
        ids = "{" + ",".join(str(int(pk)) for pk in report_ids) + "}"
        own = frozenset(report_ids)
        found = self._found(report_ids)
        for model, column, dated, of_type in self.tables:
            keys = constrained_keys(model)
            if not keys:
                continue
            where, params = f"{quote(column)} = ANY(%s::{id_type}[])", list[Any]([ids])
            if of_type:
                type_column = quote(str(model._meta.get_field("object_type").column))  # type: ignore[union-attr]
                where, params = f"{type_column} = %s AND {quote(column)} = ANY(%s::text[])", [of_type, ids]
            if dated:
                where += f" AND {quote(str(model._meta.get_field(dated).column))} = %s"  # type: ignore[union-attr]
                params.append(self.at)
            # Every row's report column holds one of the ids: where it is the key to the reports, and all are
            # found, it holds.
            to_report = next((key for key in keys if not of_type and self._is_key_to_report(key, column)), None)
            if to_report is not None:
                if absent := own - found:
                    self._none_naming(model, to_report, absent, dated)
                keys = [key for key in keys if key is not to_report]
                if not keys:
                    continue
            # One pass over the rows written: each other key's distinct values.
            cursor.execute(
                "SELECT "  # noqa: S608 - names from the models
                + ", ".join(
                    f"array_agg(DISTINCT {quote(key.column)}) FILTER (WHERE {quote(key.column)} IS NOT NULL)"
                    for key in keys
                )
                + f" FROM {quote(model._meta.db_table)} WHERE {where}",
                params,
            )
            for key, values in zip(keys, cursor.fetchone(), strict=True):
                if values:
                    self._referenced(cursor, model, key, values, own=own, found=found)

    def _is_key_to_report(self, key: models.ForeignKey[Any, Any], column: str) -> bool:
        """Whether ``key`` is the table's report ``column`` itself, referencing the report's primary key."""
        target = key.target_field
        return key.column == column and target.model is self.report and target.primary_key

    def _found(self, report_ids: Sequence[int]) -> frozenset[Any]:
        """Which of the commit's reports are in their table."""
        return frozenset(self.report._base_manager.filter(pk__any=list(report_ids)).values_list("pk", flat=True))

    def _none_naming(
        self, model: type[models.Model], key: models.ForeignKey[Any, Any], absent: frozenset[Any], dated: str
    ) -> None:
        """Raise ``IntegrityError`` if a row written (of the commit's time, for a ``dated`` table) names by ``key``
        one of the commit's reports that is ``absent`` from their table."""
        rows = model._base_manager.filter(**{f"{key.attname}__any": sorted(absent)})
        if dated:
            rows = rows.filter(**{dated: self.at})
        # No order: the model's may follow the key to the report, a join that drops the very rows looked for.
        named = next(iter(rows.order_by().values_list(key.attname, flat=True)[:1]), None)
        if named is not None:
            raise IntegrityError(
                f'insert or update on table "{model._meta.db_table}" violates its foreign key {key.column}: '
                f'{named!r} is not present in table "{self.report._meta.db_table}"'
            )

    def _referenced(
        self,
        cursor: Any,
        model: type[models.Model],
        key: models.ForeignKey[Any, Any],
        values: list[Any],
        *,
        own: frozenset[Any],
        found: frozenset[Any],
    ) -> None:
        """Raise ``IntegrityError`` unless every one of ``values`` of ``key`` is found: one of the commit's own
        reports (``own``) if it is among those ``found``, any other row looked up and locked."""
        target = key.target_field
        table, column = quote(target.model._meta.db_table), quote(target.column)
        mine = own if target.model is self.report else frozenset()
        others = [value for value in values if value not in mine]
        present = {value for value in values if value in mine and value in found}
        if others:
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} = ANY(%s) FOR KEY SHARE", [others])  # noqa: S608
            present.update(row[0] for row in cursor.fetchall())
        missing = set(values) - present
        if missing:
            raise IntegrityError(
                f'insert or update on table "{model._meta.db_table}" violates its foreign key {key.column}: '
                f'{sorted(missing, key=str)[0]!r} is not present in table "{target.model._meta.db_table}"'
            )
