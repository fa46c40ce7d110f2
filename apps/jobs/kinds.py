"""What each kind of job does: apps register a runner for their kinds (the jobs app imports none of them).

A registry though only reports registers a kind: the runner needs the reports app (its selectors, filters
and export), and the reports app imports this one (``job_create``, :class:`JobOutput`); the jobs app naming
the runner would be an import cycle. ``ReportsConfig.ready()`` registering it keeps the dependency one way.

A runner writes the job's file and says what it is; it reports progress as it goes, and raises
:class:`JobRefused` with words for the owner when it may not or cannot do the job (rights withdrawn,
parameters no longer valid). With it a kind registers a keeper: asked on every download (and before the
job's pages offer one) whether the owner may still have the file, since rights and posts change after a
job ran; a file its keeper refuses is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from django.utils.functional import Promise

from apps.core.actor import Actor

from .choices import JobKind

if TYPE_CHECKING:
    from .models import Job


@dataclass(frozen=True)
class JobOutput:
    """The file a runner wrote: the name it is downloaded under, its type, whether it holds personal data."""

    download_name: str
    content_type: str
    personal_data: bool
    # What the keeper compares later (e.g. the owner's post when the rows were chosen); stored on the job.
    owner_scope: dict[str, Any] = field(default_factory=dict)


class JobRefused(Exception):
    """The job cannot be done; the message (for its owner) says why."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)


# progress(rows_done, rows_total or None)
Progress = Callable[[int, int | None], None]


class Runner(Protocol):
    def __call__(self, *, job: Job, file: BinaryIO, progress: Progress) -> JobOutput: ...


class Keeper(Protocol):
    """Whether ``owner`` (as they are now) may still have the file of their finished ``job``."""

    def __call__(self, *, job: Job, owner: Actor) -> bool: ...


_RUNNERS: dict[str, Runner] = {}
_KEEPERS: dict[str, Keeper] = {}


def runner_register(kind: JobKind, runner: Runner, *, keeper: Keeper) -> None:
    """Make ``runner`` do the jobs of ``kind``, and ``keeper`` decide on each download whether its owner may
    still have the file (an app's ``ready()`` calls this)."""
    _RUNNERS[kind] = runner
    _KEEPERS[kind] = keeper


def runner_for(kind: str) -> Runner:
    """The runner of ``kind``; ``KeyError`` if no app registered one."""
    return _RUNNERS[kind]


def keeper_for(kind: str) -> Keeper:
    """The keeper of ``kind``; ``KeyError`` if no app registered one."""
    return _KEEPERS[kind]
