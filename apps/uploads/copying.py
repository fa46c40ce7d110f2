"""COPY and server-side INSERT … SELECT for the bulk writer of an upload (:mod:`apps.uploads.writing`): a
model's table as COPY fills it, primary keys reserved from a table's sequence, and django-simple-history's
history rows made by the server from the rows just written. Table and column names come from the models."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, models
from psycopg.copy import QueuedLibpqWriter

from apps.core.actor import Actor

_NOTHING: Mapping[str, Any] = {}


class Table:
    """One model's table as COPY fills it: its columns, and a row's values (by attribute name) in their order.

    Fields left out of a row's values take the model's defaults, as ``Model(...)`` would give them.
    """

    def __init__(self, model: type[models.Model], *, with_pk: bool, without: Iterable[str] = ()) -> None:
        meta = model._meta
        skipped = set(without) if with_pk else {*without, meta.pk.attname}  # type: ignore[union-attr]
        self.model = model
        self.fields = [field for field in meta.concrete_fields if field.attname not in skipped]
        self.by_name = {field.name: field for field in meta.concrete_fields}
        quote = connection.ops.quote_name
        self.name = quote(meta.db_table)
        self.columns = ", ".join(quote(field.column) for field in self.fields)
        # Per column: its field's name and attribute name, whether it holds a term (an instance: its id is
        # written), its JSON field (values adapted by the field) or None, and its default: a callable called per
        # row (a new uuid, an empty dict), else the constant itself.
        self._columns = [
            (
                field.name,
                field.attname,
                field.is_relation,
                field if isinstance(field, models.JSONField) else None,
                field.get_default if callable(field.default) else None,
                None if callable(field.default) else field.get_default(),
            )
            for field in self.fields
        ]

    def attributes(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Cleaned values by field name (terms as instances) as column values by attribute name (terms as ids)."""
        out = {}
        for name, value in values.items():
            field = self.by_name[name]
            out[field.attname] = value.pk if field.is_relation and isinstance(value, models.Model) else value
        return out

    def row(self, fixed: Mapping[str, Any], cleaned: Mapping[str, Any] = _NOTHING) -> tuple[Any, ...]:
        """A row: the values ``fixed`` gives by attribute name, else those ``cleaned`` gives by field name (terms as
        instances), else the field's default."""
        row = []
        for name, attname, relation, json_field, make_default, default in self._columns:
            if attname in fixed:
                value = fixed[attname]
            elif name in cleaned:
                value = cleaned[name]
                if relation and value is not None:
                    value = value.pk
            else:
                value = make_default() if make_default is not None else default
            if json_field is not None:
                value = json_field.get_db_prep_save(value, connection)
            row.append(value)
        return tuple(row)

    def copy(self, cursor: Any, rows: Iterable[tuple[Any, ...]], *, into: str = "") -> None:
        """COPY ``rows`` into the table (or into the temporary table ``into``, shaped as it)."""
        # The rows sent by psycopg's writer thread as they are formatted: the server stores one block while
        # this thread makes the next.
        statement = f"COPY {into or self.name} ({self.columns}) FROM STDIN"  # names from the model
        with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
            for row in rows:
                copy.write_row(row)


def quote(name: str) -> str:
    """A table or column name quoted for SQL."""
    return connection.ops.quote_name(name)


def reserve_ids(cursor: Any, model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys of ``model``, taken from its table's sequence as INSERT would take them."""
    if not count:
        return []
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [model._meta.db_table, model._meta.pk.column, count],  # type: ignore[union-attr]
    )
    return [row[0] for row in cursor.fetchall()]


def history_copy(
    cursor: Any,
    model: type[models.Model],
    *,
    source: str,
    ids: Sequence[int],
    history_type: str,
    actor: Actor,
    at: Any,
    reason: str | None,
) -> None:
    """The history rows (django-simple-history's) of the rows of ``model`` that ``source`` gives, made by the
    server. ``source`` is the statement with ``{insert}`` where the INSERT … SELECT … FROM goes (followed by a
    table and a WHERE clause on ``%(ids)s``, or a CTE's name after its WITH) and ``{order}`` for the ORDER BY."""
    history = model.history.model  # type: ignore[attr-defined]
    columns = ", ".join(quote(field.column) for field in history.tracked_fields)
    extra = ", ".join(
        quote(history._meta.get_field(name).column)
        for name in ("history_date", "history_type", "history_user", "history_change_reason")
    )
    pk = quote(model._meta.pk.column)  # type: ignore[union-attr]
    sql = source.format(
        insert=(
            f"INSERT INTO {quote(history._meta.db_table)} ({columns}, {extra}) "
            f"SELECT {columns}, %(at)s, %(type)s, %(user)s, %(reason)s FROM"
        ),
        order=f"ORDER BY {pk}",
    )
    cursor.execute(sql, {"ids": ids, "at": at, "type": history_type, "user": actor.pk, "reason": reason})
