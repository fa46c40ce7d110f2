"""Rows written and read on every approval and every fan-out, with SQL built once per model.

Compiling a queryset costs more CPU than PostgreSQL spends running a short statement: an INSERT
of an audit row or a read of the three partner systems is mostly Django building its SQL. These
two helpers build that SQL once from the model's metadata and keep the rest of Django's work
(``pre_save``, ``get_db_prep_save``, the fields' database converters, ``Model.from_db``), so the
instances they give back are the ones the ORM would.

Use them only where a measured hot path needs it: the approval path (the audit row, the outbox
row, the locked report) and fan-out (the partners, the deliveries), where the exchange benchmark's
CPU per approval or per delivery rose by 10 % or more without them. :func:`insert` sends no signals (as
``bulk_create``), so for a model with ``pre_save``/``post_save`` receivers (django-simple-history's,
say) it saves each instance through ``Model.save()`` instead, and the receivers run. The compiled
SQL is kept in process caches of :mod:`apps.core.caches`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast

from django.db import connections, models
from django.db.models.signals import post_save, pre_save

from .caches import ProcessCache, process_cache, process_cache_register

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


process_cache_register("core.rows.insert_fields", _insert_fields.cache_clear)
process_cache_register("core.rows.insert_sql", _insert_sql.cache_clear)


def _has_save_receivers(model: type[models.Model]) -> bool:
    return pre_save.has_listeners(model) or post_save.has_listeners(model)


def insert(objs: Sequence[M], *, using: str = "default") -> list[M]:
    """INSERT new instances of one model (auto primary key) in one statement, as ``bulk_create`` does.

    Sets each instance's primary key and saved state. A value that is a database expression
    (``db_default``, ``F()``) goes through ``bulk_create``, which knows how to compile it.
    """
    if not objs:
        return []
    model = type(objs[0])
    if _has_save_receivers(model):
        # Receivers expect save(): give them their signals rather than skip them.
        for obj in objs:
            obj.save(using=using, force_insert=True)
        return list(objs)
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


@dataclass(frozen=True)
class _Part:
    """The columns of one model in a :class:`Reader`'s SELECT: where they are, and how to make the instance."""

    model: type[models.Model]
    start: int
    names: tuple[str, ...]  # attnames, in column order
    converters: tuple[tuple[int, Any, tuple[Any, ...]], ...]  # (index in the part, column, converters)
    pk_index: int  # where its primary key is among them
    via: Any = None  # the foreign key of the main model that reaches it (None for the main model)


# A Reader's SELECT and how to cut its rows into instances, by model, clauses, related and database.
_reader_sql: ProcessCache[tuple[str, str, tuple[str, ...], str], tuple[str, tuple[_Part, ...]]] = process_cache(
    "core.rows.reader_sql"
)


class Reader:
    """``SELECT <every concrete field> FROM <model's table> <clauses>``, giving model instances.

    ``clauses`` is SQL after the FROM (``WHERE``/``ORDER BY``/``FOR UPDATE OF <table>``, with
    ``%s`` parameters). ``related`` names foreign keys to read in the same statement, as
    ``select_related`` does (a join; the related instance is cached on the field). Values go
    through the fields' database converters and instances are made by ``Model.from_db``, as a
    queryset's are.
    """

    def __init__(
        self, model: type[models.Model], clauses: str = "", *, related: Sequence[str] = (), using: str = "default"
    ) -> None:
        self.model = model
        self.clauses = clauses
        self.related = tuple(related)
        self.using = using

    @property
    def _compiled(self) -> tuple[str, tuple[_Part, ...]]:
        key = (self.model._meta.label, self.clauses, self.related, self.using)
        compiled = _reader_sql.get(key)
        return compiled if compiled is not None else _reader_sql.put(key, self._compile())

    def _compile(self) -> tuple[str, tuple[_Part, ...]]:
        connection = connections[self.using]
        quote = connection.ops.quote_name
        table = self.model._meta.db_table
        tables: list[tuple[type[models.Model], str, Any]] = [(self.model, table, None)]
        joins = []
        for name in self.related:
            via: Any = self.model._meta.get_field(name)
            target = cast(type[models.Model], via.related_model)
            alias = f"related_{name}"
            kind = "LEFT OUTER JOIN" if via.null else "INNER JOIN"
            target_pk = quote(cast(Any, target._meta.pk).column)
            joins.append(
                f"{kind} {quote(target._meta.db_table)} {quote(alias)} "
                f"ON {quote(alias)}.{target_pk} = {quote(table)}.{quote(via.column)}"
            )
            tables.append((target, alias, via))
        columns: list[str] = []
        parts = []
        for model, alias, via in tables:
            fields = list(model._meta.concrete_fields)
            converters = []
            for index, field in enumerate(fields):
                column = field.get_col(alias)
                field_converters = tuple(column.get_db_converters(connection))
                if field_converters:
                    converters.append((index, column, field_converters))
            names = tuple(field.attname for field in fields)
            pk_index = names.index(cast(Any, model._meta.pk).attname)
            parts.append(_Part(model, len(columns), names, tuple(converters), pk_index, via))
            columns += [f"{quote(alias)}.{quote(field.column)}" for field in fields]
        sql = f"SELECT {', '.join(columns)} FROM {quote(table)} {' '.join(joins)} {self.clauses}"  # noqa: S608
        return sql, tuple(parts)

    def all(self, params: Sequence[Any] = ()) -> list[Any]:
        sql, parts = self._compiled
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            rows = cursor.fetchall()
        instances = []
        for row in rows:
            made: list[models.Model | None] = []
            for part in parts:
                values = list(row[part.start : part.start + len(part.names)])
                for index, column, column_converters in part.converters:
                    for converter in column_converters:
                        values[index] = converter(values[index], column, connection)
                if part.via is not None and values[part.pk_index] is None:
                    made.append(None)  # a null foreign key (outer join)
                else:
                    made.append(part.model.from_db(self.using, part.names, values))
            instance = made[0]
            for part, related in zip(parts[1:], made[1:], strict=True):
                part.via.set_cached_value(instance, related)
            instances.append(instance)
        return instances
