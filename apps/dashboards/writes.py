"""Summary rows written by what changed: a fill over a scope that already has rows (a rebuild, a recompute) writes
the scope's new rows to a temporary table, then deletes the stored rows that are not among them (and any stored row
twice over) and inserts those not stored, rather than deleting every row of the scope and inserting every row
again. A rebuild over unchanged reports then writes nothing: no row versions for VACUUM to clear, no index entries,
no bloat for the readers to walk; a recompute writes the rows of the reports that changed. A scope with no rows yet
(a first build) is written directly.

Hand-written SQL: the ORM can say neither the temporary tables nor the anti-joins of an ``INSERT ... SELECT``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from django.db.models import QuerySet

# Where a fill writes each model's rows: the model's temporary table, when its scope is written by what changed.
Targets = dict[type[models.Model], str]

# Planned off while a scope is brought to its new rows, for hash anti-joins: a merge join sorts both sides on their
# text columns (0.6 s for a month's 75,228 rows per place), a nested loop looks each row up in an index (2.3 s for
# a month's 46,401 rows per administration); a hash anti-join takes 0.1 to 0.15 s.
PLANNED_OFF = ("enable_mergejoin", "enable_nestloop")


def _columns(model: type[models.Model]) -> list[str]:
    """Every column but the id: a row is the same row if these are equal (none is nullable)."""
    quote = connection.ops.quote_name
    return [quote(field.column) for field in model._meta.concrete_fields if not field.primary_key]


@contextmanager
def changed_only(scopes: Sequence[QuerySet[Any]]) -> Iterator[Targets]:
    """Within: the fill writes the rows of each of ``scopes`` (the stored rows it replaces, one scope per model, of
    the model's own columns) to the table the targets name for its model (its own when absent: a scope with no
    rows). At the end, each scope written to a temporary table is brought to its rows. In the caller's transaction,
    which holds the scope's locks."""
    quote = connection.ops.quote_name
    if len({scope.model for scope in scopes}) != len(scopes):
        raise ValueError("Two scopes of one model.")
    targets: Targets = {}
    with connection.cursor() as cursor:
        for scope in scopes:
            joined = [alias for alias, count in scope.query.alias_refcount.items() if count][1:]  # (trimmed: 0)
            if joined or not scope.query.where:
                raise ValueError(f"A scope of {scope.model.__name__} is filtered on its own columns only.")
            if not scope.exists():
                continue
            fresh = quote(f"dashboards_fresh_{scope.model._meta.model_name}")
            # Names from the models; no value. (An existing table of that name fails it: never nested.)
            cursor.execute(
                f"CREATE TEMPORARY TABLE {fresh} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {', '.join(_columns(scope.model))} FROM {quote(scope.model._meta.db_table)} WHERE false"
            )
            targets[scope.model] = fresh
    yield targets
    with connection.cursor() as cursor:
        for scope in scopes:
            if (written := targets.get(scope.model)) is not None:
                _bring_to(cursor, scope, written)


def _bring_to(cursor: Any, scope: QuerySet[Any], fresh: str) -> None:
    """Delete the rows of ``scope`` that are not in ``fresh`` (no row equal in every column but the id) or are
    stored twice over (all but the first), insert the rows of ``fresh`` that are not in ``scope``, drop ``fresh``."""
    quote = connection.ops.quote_name
    table = quote(scope.model._meta.db_table)
    columns, pk = _columns(scope.model), quote(scope.model._meta.pk.column)
    where, params = scope.query.get_compiler(connection=connection).compile(scope.query.where)
    same = " AND ".join(f"f.{column} = {table}.{column}" for column in columns)
    cursor.execute(f"ANALYZE {fresh}")  # (else the anti-joins are planned as nested loops)
    cursor.execute(f"SELECT {', '.join('current_setting(%s)' for _ in PLANNED_OFF)}", PLANNED_OFF)
    before = cursor.fetchone()
    for setting in PLANNED_OFF:
        cursor.execute("SELECT set_config(%s, 'off', true)", [setting])
    # Names from the models, the scope's conditions compiled by the ORM; the values are parameters.
    cursor.execute(
        f"DELETE FROM {table} WHERE {where} AND (NOT EXISTS (SELECT 1 FROM {fresh} f WHERE {same}) "  # noqa: S608
        f"OR {pk} NOT IN (SELECT min({pk}) FROM {table} WHERE {where} GROUP BY {', '.join(columns)}))",
        [*params, *params],
    )
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(f'f.{c}' for c in columns)} "  # noqa: S608
        f"FROM {fresh} f WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {where} AND {same})",
        params,
    )
    for setting, value in zip(PLANNED_OFF, before, strict=True):
        cursor.execute("SELECT set_config(%s, %s, true)", [setting, value])
    cursor.execute(f"DROP TABLE pg_temp.{fresh}")
