"""Rows written and read on every approval and every fan-out, with SQL built once per model.

Compiling a queryset costs more CPU than PostgreSQL spends running a short statement: an INSERT
of an audit row or a read of the three partner systems is mostly Django building its SQL. These
two helpers build that SQL once from the model's metadata and keep the rest of Django's work
(``pre_save``, ``get_db_prep_save``, the fields' database converters, ``Model.from_db``), so the
instances they give back are the ones the ORM would.

Use them only where a measured hot path needs it and the model has no ``pre_save``/``post_save``
receivers (like ``bulk_create``, :func:`insert` sends no signals).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, cached_property
from typing import Any, TypeVar, cast

from django.db import connections, models

M = TypeVar("M", bound=models.Model)


@cache
def _insert_fields(model: type[models.Model]) -> tuple[models.Field[Any, Any], ...]:
    auto = model._meta.auto_field
    return tuple(
        field
        for field in model._meta.concrete_fields
        if field is not auto and not getattr(field, "generated", False)  # type: ignore[comparison-overlap]
    )


@cache
def _insert_sql(model: type[models.Model], rows: int, using: str) -> str:
    quote = connections[using].ops.quote_name
    fields = _insert_fields(model)
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = quote(model._meta.db_table)
    returning = quote(model._meta.pk.column)  # type: ignore[union-attr]
    values = ", ".join([row] * rows)
    return f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING {returning}"  # noqa: S608 (names from the model)


def insert(objs: Sequence[M], *, using: str = "default") -> list[M]:
    """INSERT new instances of one model (auto primary key) in one statement, as ``bulk_create`` does.

    Sets each instance's primary key and saved state. A value that is a database expression
    (``db_default``, ``F()``) goes through ``bulk_create``, which knows how to compile it.
    """
    if not objs:
        return []
    model = type(objs[0])
    fields = _insert_fields(model)
    connection = connections[using]
    params: list[Any] = []
    for obj in objs:
        if type(obj) is not model or obj.pk is not None:
            raise ValueError("insert() takes new instances of one model, without a primary key.")
        cast(Any, obj)._prepare_related_fields_for_save(operation_name="insert")  # what bulk_create checks
        for field in fields:
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                return list(model._default_manager.using(using).bulk_create(objs))
            params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, len(objs), using), params)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using
    return list(objs)


class Reader:
    """``SELECT <every concrete field> FROM <model's table> <clauses>``, giving model instances.

    ``clauses`` is SQL after the FROM (``WHERE``/``ORDER BY``, with ``%s`` parameters). Values
    go through the fields' database converters and instances are made by ``Model.from_db``, as
    a queryset's are; no relations are followed.
    """

    def __init__(self, model: type[models.Model], clauses: str = "", *, using: str = "default") -> None:
        self.model = model
        self.clauses = clauses
        self.using = using

    @cached_property
    def _compiled(self) -> tuple[str, tuple[str, ...], tuple[tuple[int, Any, tuple[Any, ...]], ...]]:
        connection = connections[self.using]
        quote = connection.ops.quote_name
        table = self.model._meta.db_table
        fields = list(self.model._meta.concrete_fields)
        columns = ", ".join(f"{quote(table)}.{quote(field.column)}" for field in fields)
        sql = f"SELECT {columns} FROM {quote(table)} {self.clauses}"  # noqa: S608 (names from the model)
        converters = []
        for index, field in enumerate(fields):
            column = field.get_col(table)
            field_converters = tuple(column.get_db_converters(connection))
            if field_converters:
                converters.append((index, column, field_converters))
        return sql, tuple(field.attname for field in fields), tuple(converters)

    def all(self, params: Sequence[Any] = ()) -> list[Any]:
        sql, names, converters = self._compiled
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            rows = cursor.fetchall()
        instances = []
        for row in rows:
            values = list(row)
            for index, column, column_converters in converters:
                for converter in column_converters:
                    values[index] = converter(values[index], column, connection)
            instances.append(self.model.from_db(self.using, names, values))
        return instances
