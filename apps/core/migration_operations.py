"""Schema operations that keep a large table writable while they run."""

from __future__ import annotations

from django.db import migrations


def index_dropped_concurrently(table: str, name: str, column: str) -> migrations.RunSQL:
    """Drop the single-column index ``name`` of ``table`` without locking the table against writes (and build it
    the same way if the migration is reversed: an invalid one left by a build cancelled before is dropped first).
    The migration must not be atomic (``atomic = False``), and pairs it with the state operation that says the
    index is gone."""
    return migrations.RunSQL(
        sql=f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"',
        reverse_sql=[
            f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"',
            f'CREATE INDEX CONCURRENTLY "{name}" ON "{table}" ("{column}")',
        ],
    )


def index_cleared(name: str) -> migrations.RunSQL:
    """Drop the index ``name`` if a build of it cancelled before left it (invalid), so that a non-atomic migration
    building it concurrently may run again; nothing when reversed (the build's own reverse drops it)."""
    return migrations.RunSQL(sql=f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"', reverse_sql=migrations.RunSQL.noop)
