"""Python's cyclic garbage collector held off during bulk work.

A bulk job (an upload's check and commit) builds millions of small objects — cleaned values, dicts, tuples —
that hold no reference cycles and live until the job ends. Each allocation counts towards the collector's
thresholds, so it keeps walking the whole growing heap and finds nothing to free: a third of the job's CPU time
on 100,000 rows (``make bench BENCH=upload``). Reference counting still frees everything as usual; the
collector runs again once the job is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for the ``with`` block (nested blocks leave it as the outer one set it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
