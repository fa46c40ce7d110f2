"""Hand-written SQL of the reports app (each with the figure that justifies it)."""

from __future__ import annotations

from typing import Any

# An export's SELECT (a report per row, its items aggregated, a few correlated subqueries) is costed high
# enough for PostgreSQL's JIT to compile it on every run: on 31,820 bench reports the query took 3.5 s with
# JIT (1.5 s of it compiling) and 0.76 s without. For the export's query only.
# Its sorts (the items joined before grouping, then the list's order) spill to disk with the default 4 MB of
# work_mem: 0.87 s with 4 MB, 0.80 s with 32 MB on the same reports.
EXPORT_SETTINGS = (("jit", "off"), ("work_mem", "32MB"))


def export_settings(cursor: Any, *, local: bool) -> None:
    """Apply the settings of an export's SELECT: until the end of the transaction (``local``), else until
    :func:`export_settings_reset`."""
    for name, value in EXPORT_SETTINGS:
        cursor.execute("SELECT set_config(%s, %s, %s)", [name, value, local])


def export_settings_reset(cursor: Any) -> None:
    """Put the session's settings that :func:`export_settings` changed back to their defaults."""
    for name, _ in EXPORT_SETTINGS:
        cursor.execute(f"RESET {name}")  # a name of EXPORT_SETTINGS above, never input
