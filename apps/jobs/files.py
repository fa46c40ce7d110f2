"""Where jobs' files live: under the private ``RILO_JOBS_ROOT``, never under a directory the web server serves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from .models import Job


def jobs_root() -> Path:
    return Path(settings.RILO_JOBS_ROOT)


def temporary_path(job: Job) -> Path:
    """Where the job's file is written while it runs (a name only: :func:`for_writing` makes its directory)."""
    return jobs_root() / "tmp" / f"{job.uuid}.part"


def finished_path(name: str) -> Path:
    """The finished file called ``name`` (a job's ``file_name``; a name only, as the download reads it)."""
    return jobs_root() / "files" / Path(name).name


def for_writing(path: Path) -> Path:
    """``path``, once its directory exists: only the worker that writes a file creates directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def finished_files() -> Iterator[Path]:
    """Every file in the finished files' directory (none if it does not exist yet)."""
    directory = jobs_root() / "files"
    if directory.is_dir():
        yield from (path for path in directory.iterdir() if path.is_file())


def files_delete(job: Job) -> None:
    """Delete whatever the job left: its temporary file and its finished file, also one moved into place that
    its row does not name (a worker stopped between the move and the commit)."""
    temporary_path(job).unlink(missing_ok=True)
    if job.file_name:
        finished_path(job.file_name).unlink(missing_ok=True)
    for path in (jobs_root() / "files").glob(f"{job.uuid}.*"):
        path.unlink(missing_ok=True)
