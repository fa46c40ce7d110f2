"""Fixtures of the jobs tests: the exchange tests' real Redis and Celery workers (with beat), and a private
directory for the jobs' files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.exchange.test_faults import broker, start_worker

__all__ = ["broker", "jobs_root", "start_worker"]


@pytest.fixture
def jobs_root(settings, tmp_path: Path) -> Path:
    """RILO_JOBS_ROOT for this test (give it to workers as RILO_JOBS_ROOT too)."""
    settings.RILO_JOBS_ROOT = tmp_path / "jobs"
    return Path(settings.RILO_JOBS_ROOT)
