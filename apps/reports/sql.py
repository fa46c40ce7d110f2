"""Hand-written SQL of the reports app (each with the figure that justifies it)."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from django.db import connections, transaction

# An export's SELECT (a report per row, its items aggregated, a few correlated subqueries) is costed high
# enough for PostgreSQL's JIT to compile it on every run: on 31,820 bench reports the query took 3.5 s with
# JIT (1.5 s of it compiling) and 0.76 s without. For the export's query only.
# Its sorts (the items joined before grouping, then the list's order) spill to disk with the default 4 MB of
# work_mem: 0.87 s with 4 MB, 0.80 s with 32 MB on the same reports.
EXPORT_SETTINGS = (("jit", "off"), ("work_mem", "32MB"))
# COPY sends a message per row: the CSV is handed on in pieces of about this many bytes.
EXPORT_CSV_PIECE = 64 * 1024


def export_settings(cursor: Any, *, local: bool) -> None:
    """Apply the settings of an export's SELECT: until the end of the transaction (``local``), else until
    :func:`export_settings_reset`."""
    for name, value in EXPORT_SETTINGS:
        cursor.execute("SELECT set_config(%s, %s, %s)", [name, value, local])


def export_settings_reset(cursor: Any) -> None:
    """Put the session's settings that :func:`export_settings` changed back to their defaults."""
    for name, _ in EXPORT_SETTINGS:
        cursor.execute(f"RESET {name}")  # a name of EXPORT_SETTINGS above, never input


def export_csv(*, database: str, query: str, params: Sequence[Any]) -> Generator[bytes]:
    """PostgreSQL's CSV of an export's SELECT ``query`` (no header), in pieces as it comes: ``COPY … TO STDOUT``,
    in a transaction with the export's settings. Every non-NULL cell is quoted (``FORCE_QUOTE *``): a spreadsheet
    whose list separator is ";" (French, German, Russian locales) splits an unquoted ``x;=cmd…`` into two cells and
    runs the second; a quoted cell is one cell whatever the separator.

    The COPY holds the connection until its last row. Closed before then (a client gone: the response closes this
    generator), the COPY is cancelled and the rest of its data drained, then the transaction rolled back: the
    connection is left clean for the next request. (A CSV export of 19,952 bench reports ran at 9,672 rows/s
    written by Python's csv module from a server-side cursor, at 14,219 rows/s by COPY, COPY of its SELECT alone
    running at 22,169 and 23,316 rows/s on the same busy machine.)
    """
    connection = connections[database]
    with transaction.atomic(using=database), connection.cursor() as cursor:
        export_settings(cursor, local=True)
        piece = bytearray()
        with cursor.cursor.copy(
            f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER false, FORCE_QUOTE *)", params
        ) as copy:
            for data in copy:
                piece += data
                if len(piece) >= EXPORT_CSV_PIECE:
                    yield bytes(piece)
                    piece.clear()
        if piece:
            yield bytes(piece)
