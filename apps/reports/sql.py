"""Hand-written SQL of the reports app (each with the figure that justifies it)."""

from __future__ import annotations

from typing import Any

# An export's SELECT (a report per row, its items aggregated, a few correlated subqueries) is costed high
# enough for PostgreSQL's JIT to compile it on every run: on 31,820 bench reports the query took 3.5 s with
# JIT (1.5 s of it compiling) and 0.76 s without. Within the export's transaction only.
# Its sorts (the items joined before grouping, then the list's order) spill to disk with the default 4 MB of
# work_mem: 0.87 s with 4 MB, 0.80 s with 32 MB on the same reports.
EXPORT_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL work_mem = '32MB'")


def export_session(cursor: Any) -> None:
    """Settings of an export's SELECT, until the end of the current transaction (run it in one)."""
    for statement in EXPORT_SETTINGS:
        cursor.execute(statement)
