"""``make test`` (``python -m tests``): lint, type-check and run the suite on real PostgreSQL and Redis.

Servers: those at DATABASE_URL/REDIS_URL, else the local ones on 127.0.0.1 when they answer,
else embedded ones (see apps.core.runtime). pytest runs on one worker per core, at most two (pytest-xdist); extra
arguments are passed to pytest after that (``-n 0`` runs it in one process).

``make test`` installs Chromium before it runs this, so here the browser tests must run: a missing browser fails
them (``RILO_REQUIRE_BROWSER``, tests/browser.py) instead of skipping them.
"""

from __future__ import annotations

import os
import subprocess
import sys

from apps.core.runtime import BASE_DIR, resolve_services
from tests.browser import REQUIRE_BROWSER


def run(step: str, argv: list[str], env: dict[str, str]) -> int:
    print(f"\n=== {step}: {' '.join(argv)}", flush=True)
    return subprocess.call(argv, cwd=BASE_DIR, env=env)


def workers() -> int:
    """pytest-xdist workers: one per core, at most two (the suite is run so on the two cores CI has; tests that
    start servers take free ports). ``-n N`` among the extra arguments overrides it (the last one counts)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(2, cores)


def main(pytest_args: list[str]) -> int:
    services = resolve_services(purpose="test", prefer_local=True)
    print(f"Using {services.describe()}", flush=True)
    env = {
        **os.environ,
        **services.environ(),
        "DJANGO_SETTINGS_MODULE": "rilo.settings.test",
        REQUIRE_BROWSER: "1",
    }
    bin_dir = os.path.dirname(sys.executable)
    steps = [
        ("ruff check", [f"{bin_dir}/ruff", "check", "."]),
        ("ruff format", [f"{bin_dir}/ruff", "format", "--check", "."]),
        ("mypy", [f"{bin_dir}/mypy", "."]),
        ("pytest", [sys.executable, "-m", "pytest", "--numprocesses", str(workers()), *pytest_args]),
    ]
    failed = [step for step, argv in steps if run(step, argv, env) != 0]
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", flush=True)
        return 1
    print("\nAll checks passed.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
