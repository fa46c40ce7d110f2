"""A large upload checked by two processes: the worker's own and a helper forked from it, one core each.

Reading and checking an upload is Python work on one core; a machine has more. When the stored file is large
(``RILO_UPLOADS_CHECK_SHARED_FROM`` bytes) and ``RILO_UPLOADS_CHECK_PROCESSES`` allows more than one process,
:func:`check_helper` forks a helper before the file is read. Each process reads the whole file (the rules across
rows need every row), numbers the national references in the order they first appear — the same numbers in
both, from the same file — and checks its :class:`Share` of the reports, every other block of :data:`BLOCK` of them
(:data:`HELPED`). Each converts the cells of its own rows only: of the others'
rows the reader gives their reference alone. The helper hands what it found to the worker's process through a
pipe (:meth:`CheckHelper.handed`), which joins the shares in the file's order: the outcome is the one a single
process gives (``tests/uploads/test_shared_check.py`` compares them).

The helper opens database connections of its own (the worker's are left untouched, and never closed by it);
the check runs outside any transaction, so both see the same committed data. It writes nothing: its progress
goes to the worker's process through shared memory, which reports it. A helper that fails fails the check; a
check that stops (cancelled, refused, failed) kills its helper; a worker killed mid-check leaves a helper that
ends as soon as it hands its share over (its pipe has no reader).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import select
import signal
import struct
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from django.conf import settings
from django.db import connections

from .spool import PIECE

# References per block: a block's checked reports are one piece of the kept file.
BLOCK = PIECE
_COUNTERS = struct.Struct("qq")  # the helper's records checked, and its records in all


@dataclass(frozen=True)
class Share:
    """The reports process ``index`` checks: those of the blocks ``owners`` gives it (the process of each block,
    in turn; blocks numbered from 0 in the order the references first appear in the file). The first share also
    reports what concerns the file as a whole (its headers, rows without a reference)."""

    index: int = 0
    owners: tuple[int, ...] = (0,)

    @staticmethod
    def block(number: int) -> int:
        """The block of the report of ``number``."""
        return number // BLOCK

    def owns(self, number: int) -> bool:
        return self.owners[self.block(number) % len(self.owners)] == self.index

    @property
    def first(self) -> bool:
        return self.index == 0

    @property
    def whole(self) -> bool:
        return len(self.owners) == 1


WHOLE = Share()
# With a helper, each process checks every other block. (The helper two blocks in three, leaving the worker's
# process the time to join the shares and compare the possible duplicates, was slower: 15.2 and 16.4 s against
# 12.8 and 13.5 s, the CSV of ``make bench BENCH=upload`` checked in turn.)
HELPED = (0, 1)


def _processes() -> int:
    configured = int(settings.RILO_UPLOADS_CHECK_PROCESSES)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(configured, 2) if configured > 0 else min(cores, 2)


def _wanted(path: Path) -> bool:
    """Whether a helper is worth its fork here: a large file, a second core, a platform that forks, and no
    transaction open (the helper's own connections would not see it)."""
    if not hasattr(os, "fork") or _processes() < 2:
        return False
    if any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        return False
    return path.stat().st_size >= int(settings.RILO_UPLOADS_CHECK_SHARED_FROM)


class HelperFailed(Exception):
    """The helper process ended without handing its share over."""


class CheckHelper:
    """The forked helper, seen from either side: :attr:`share` is this process's share of the reports."""

    def __init__(self) -> None:
        self._counters = mmap.mmap(-1, _COUNTERS.size)  # shared with the helper: it writes, the worker reads
        self._read_end, self._write_end = os.pipe()
        self.pid = os.fork()
        self.is_helper = self.pid == 0
        self.share = Share(index=1 if self.is_helper else 0, owners=HELPED)
        if self.is_helper:
            os.close(self._read_end)
            _leave_parents_connections()
        else:
            os.close(self._write_end)

    # --- in the helper ------------------------------------------------------------------------------

    def checked(self, done: int, total: int) -> None:
        """The helper's progress: ``done`` of its ``total`` records checked."""
        self._counters[:] = _COUNTERS.pack(done, total)

    def serve(self, work: Callable[[], Any]) -> NoReturn:
        """Run ``work`` (the helper's share of the check), hand its result over, and end the process."""
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the worker's handlers are not the helper's
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                handed = pickle.dumps(("done", work()), protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            except BaseException:
                handed = pickle.dumps(("failed", traceback.format_exc()), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(self._write_end, "wb") as pipe:
                pipe.write(handed)
        finally:
            os._exit(code)  # no cleanup of the worker's objects (its connections, its files) from here

    # --- in the worker's process --------------------------------------------------------------------

    def progress(self) -> tuple[int, int]:
        """The helper's records checked so far, and its records in all (0 until it has read the file)."""
        done, total = _COUNTERS.unpack(self._counters[: _COUNTERS.size])
        return done, total

    def handed(self, waiting: Callable[[], None], every: float) -> Any:
        """What the helper's ``work`` returned, once it is done; ``waiting`` is called every ``every`` seconds
        meanwhile (it reports progress, and may raise to stop). Raises :class:`HelperFailed` if it failed."""
        received = bytearray()
        while True:
            ready, _, _ = select.select([self._read_end], [], [], every)
            if not ready:
                waiting()
                continue
            piece = os.read(self._read_end, 1 << 20)
            if not piece:
                break
            received += piece
        os.close(self._read_end)
        self._read_end = -1
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if not received:
            raise HelperFailed(f"The check's helper process ended without a result (status {status}).")
        outcome, result = pickle.loads(received)  # noqa: S301 - from our own fork, through our own pipe
        if outcome != "done":
            raise HelperFailed(f"The check's helper process failed:\n{result}")
        return result

    def stop(self) -> None:
        """End the helper if it still runs (the check stopped early), and release what it shared."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
        if self._read_end >= 0:
            os.close(self._read_end)
            self._read_end = -1
        self._counters.close()


def _leave_parents_connections() -> None:
    """In the helper: the database connections inherited from the worker's process are its, on sockets both
    hold. They are set aside unused (closing one would end the worker's session) and the helper opens its own."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _inherited.append(connection.connection)
            connection.connection = None
        connection.closed_in_transaction = False
        connection.run_on_commit = []


_inherited: list[Any] = []  # kept referenced until the helper exits: never closed, never collected


def check_helper(path: Path) -> CheckHelper | None:
    """A helper forked for checking the file at ``path`` (see the module's docstring), or None: checked by
    this process alone."""
    return CheckHelper() if _wanted(path) else None
