"""What each kind of job does: apps register a runner for their kinds (the jobs app imports none of them).

A registry though only reports registers a kind: the runner needs the reports app (its selectors, filters
and export), and the reports app imports this one (``job_create``, :class:`JobOutput`); the jobs app naming
the runner would be an import cycle. ``ReportsConfig.ready()`` registering it keeps the dependency one way.

A runner writes the job's file and says what it is; it reports progress as it goes, and raises
:class:`JobRefused` with words for the owner when it may not or cannot do the job (rights withdrawn,
parameters no longer valid).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol

from django.utils.functional import Promise

from .choices import JobKind

if TYPE_CHECKING:
    from .models import Job


@dataclass(frozen=True)
class JobOutput:
    """The file a runner wrote: the name it is downloaded under, its type, whether it holds personal data."""

    download_name: str
    content_type: str
    personal_data: bool


class JobRefused(Exception):
    """The job cannot be done; the message (for its owner) says why."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)


# progress(rows_done, rows_total or None)
Progress = Callable[[int, int | None], None]


class Runner(Protocol):
    def __call__(self, *, job: Job, file: BinaryIO, progress: Progress) -> JobOutput: ...


_RUNNERS: dict[str, Runner] = {}


def runner_register(kind: JobKind, runner: Runner) -> None:
    """Make ``runner`` do the jobs of ``kind`` (an app's ``ready()`` calls this)."""
    _RUNNERS[kind] = runner


def runner_for(kind: str) -> Runner:
    """The runner of ``kind``; ``KeyError`` if no app registered one."""
    return _RUNNERS[kind]
