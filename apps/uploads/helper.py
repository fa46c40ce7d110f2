"""A large upload checked by two processes: the worker's own and a helper forked from it, one core each.

Reading and checking an upload is Python work on one core; a machine has more. When the stored file is large
(``RILO_UPLOADS_CHECK_HELPER_FROM`` bytes) and ``RILO_UPLOADS_CHECK_HELPER`` is on, :func:`start_helper` forks a
helper before the file is read. Each process reads the whole file (the rules across rows need every row),
numbers the national references in the order they first appear — the same numbers in both, from the same file —
and checks its :class:`Share` of the reports, blocks of :data:`BLOCK` of them in turn (:data:`HELPED`); of the
other's rows the reader gives the reference alone, their cells not converted. The helper hands what it found to
the worker's process through a pipe (:meth:`CheckHelper.result`), which joins the shares in the file's order
(:mod:`apps.uploads.outcome`): the outcome is the one a single process gives
(``tests/uploads/test_check_helper.py`` compares them).

The worker's process closes its database connections before the fork: the helper inherits none, opens its own
and closes them when done. The check runs outside any transaction (there is no helper inside one); each process
reads what is committed when it reads, as a single process does over the seconds of a check. The helper writes
nothing: its progress reaches the worker's process through shared memory, which reports it. The helper dies with
the worker's process, however that ends (Linux's parent-death signal); a check that stops (cancelled, refused,
failed) kills its helper; a helper that fails or dies is logged and the worker's process checks the whole file
itself. A Ctrl-C is the worker's, not the helper's (ignored there, as the worker's pool processes ignore it).

With a helper, an upload's check takes two cores: a worker of concurrency N may run 2N processes on N large
uploads at once (the README's "Bulk upload" says how to size workers).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
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

logger = logging.getLogger(__name__)

# References per block (a block's checked reports are one piece of the kept file, or several): small enough that
# a file of a few thousand reports is shared about evenly.
BLOCK = 500
# The process checking each block, in turn: the helper (1) the first, the worker's process (0) the next, and so on;
# the helper checks 9 blocks of every 17, the worker's process 8: it also reports the file as a whole and the
# progress (with halves, it checked its share about 11% longer than the helper).
HELPED = (1, 0) * 8 + (1,)
_COUNTERS = struct.Struct("qq")  # the helper's records checked, and its records in all
_PR_SET_PDEATHSIG = 1  # prctl(2)


@dataclass(frozen=True)
class Share:
    """The reports process ``index`` checks: those of the blocks ``owners`` gives it (the process of each block,
    in turn; blocks numbered from 0 in the order the references first appear in the file). The first share (the
    worker's process) also reports what concerns the file as a whole (its headers, rows without a reference)."""

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
        return len(set(self.owners)) == 1


WHOLE = Share()
WORKERS_SHARE = Share(index=0, owners=HELPED)
HELPERS_SHARE = Share(index=1, owners=HELPED)

# The helper's work: its share checked, its progress told (records checked, of how many); what it returns is
# handed to the worker's process.
Work = Callable[[Share, Callable[[int, int], None]], Any]


class HelperFailed(Exception):
    """The helper process ended without handing its share over."""


def _wanted(path: Path) -> bool:
    """Whether a helper is worth its fork here: on, a second core, a platform that forks, a large file, and no
    transaction open (the helper's connections would not see it)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if not settings.RILO_UPLOADS_CHECK_HELPER or cores < 2 or not hasattr(os, "fork"):
        return False
    databases: dict[str, dict[str, Any]] = settings.DATABASES
    if any(database.get("OPTIONS", {}).get("pool") for database in databases.values()):
        return False  # a pool's connections and threads would be shared with the helper
    if any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        return False
    return path.stat().st_size >= int(settings.RILO_UPLOADS_CHECK_HELPER_FROM)


def start_helper(path: Path, work: Work) -> CheckHelper | None:
    """A helper forked to run ``work`` on :data:`HELPERS_SHARE` of the file at ``path``, when worth it; None: the
    caller checks the file alone. (In the helper this never returns: the process ends when ``work`` does.)"""
    if not _wanted(path):
        return None
    parent = os.getpid()
    try:
        connections.close_all()  # nothing open is inherited: the helper opens its own, this process reopens them
        counters = mmap.mmap(-1, _COUNTERS.size)
    except Exception:
        logger.warning("No helper process for an upload's check.", exc_info=True)
        return None
    try:
        read_end, write_end = os.pipe()
    except OSError:
        counters.close()
        logger.warning("No helper process for an upload's check.", exc_info=True)
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        counters.close()
        logger.warning("No helper process for an upload's check: fork failed.", exc_info=True)
        return None
    if pid == 0:
        _serve(work, parent=parent, counters=counters, read_end=read_end, write_end=write_end)
    os.close(write_end)
    return CheckHelper(pid, read_end, counters)


def _serve(work: Work, *, parent: int, counters: mmap.mmap, read_end: int, write_end: int) -> NoReturn:
    """The helper's life: its share checked, the result written to the pipe, the process ended (never back into
    the caller of the fork, whatever happens)."""
    code = 1
    try:
        os.close(read_end)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # the pool's soft time limit is its own process's
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(settings.RILO_UPLOADS_TIME_LIMIT))  # never longer than the check it helps may run
        with contextlib.suppress(OSError, AttributeError):  # Linux: killed when the worker's process ends
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # it ended before that
            os._exit(1)

        def checked(done: int, total: int) -> None:
            counters[:] = _COUNTERS.pack(done, total)

        try:
            handed = pickle.dumps(("done", work(HELPERS_SHARE, checked)), protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        except BaseException:
            handed = pickle.dumps(("failed", traceback.format_exc()), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(handed)
    finally:
        try:
            connections.close_all()
        finally:
            os._exit(code)  # no cleanup of the worker's objects (its files, its broker connection) from here


class CheckHelper:
    """The helper, seen from the worker's process."""

    def __init__(self, pid: int, read_end: int, counters: mmap.mmap) -> None:
        self.pid = pid
        self._read_end = read_end
        self._counters = counters

    def progress(self) -> tuple[int, int]:
        """The helper's records checked so far, and its records in all (0 until it has read the file)."""
        done, total = _COUNTERS.unpack(self._counters[: _COUNTERS.size])
        return done, total

    def result(self, waiting: Callable[[], None], every: float) -> Any:
        """What the helper's ``work`` returned, once it is done; ``waiting`` is called every ``every`` seconds
        meanwhile (it reports progress, and may raise to stop). Raises :class:`HelperFailed` if it failed."""
        received = bytearray()
        poll = select.poll()
        poll.register(self._read_end, select.POLLIN | select.POLLHUP)
        while True:
            if not poll.poll(int(every * 1000)):
                waiting()
                continue
            piece = os.read(self._read_end, 1 << 20)
            if not piece:
                break
            received += piece
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError as error:
            raise HelperFailed("The check's helper process was waited for elsewhere.") from error
        finally:
            self.pid = 0
        if not received or os.WIFSIGNALED(status):  # killed, perhaps halfway through writing
            raise HelperFailed(f"The check's helper process ended without a whole result (status {status}).")
        try:
            outcome, result = pickle.loads(received)  # noqa: S301 - from our own fork, through our own pipe
        except (pickle.UnpicklingError, EOFError, ValueError) as error:
            raise HelperFailed("The check's helper process handed over a damaged result.") from error
        if outcome != "done":
            raise HelperFailed(f"The check's helper process failed:\n{result}")
        return result

    def stop(self) -> None:
        """End the helper if it still runs (the check stopped early), and release what it shared."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        if self._read_end >= 0:
            os.close(self._read_end)
            self._read_end = -1
        self._counters.close()
