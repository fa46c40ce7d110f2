"""gunicorn.conf.py: the web process's worker class, threads and timeouts, used by docker and the benchmarks."""

from __future__ import annotations

import os
import re
import runpy
from pathlib import Path
from typing import Any

import pytest

from rilo.settings.base import database_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("WEB_", "GUNICORN_", "DJANGO_DB_"))}
    monkeypatch.setattr(os, "environ", environ)  # what the file writes there stays in this test
    values = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    # The file sets the web processes' statement timeout in the environment the workers inherit.
    values["statement_timeout_ms"] = int(environ["DJANGO_DB_STATEMENT_TIMEOUT"])
    return values


def test_the_web_process_runs_threads(config):
    assert config["worker_class"] == "gthread"
    assert config["workers"] >= 2 and config["threads"] >= 2


def test_every_sql_statement_of_a_web_process_ends_before_the_proxy_gives_up(config):
    nginx = (ROOT / "docker" / "nginx.conf.template").read_text()
    found = re.search(r"proxy_read_timeout (\d+)s;", nginx)
    assert found is not None
    proxy_read = int(found.group(1))
    assert 0 < config["statement_timeout_ms"] / 1000 < config["timeout"] < proxy_read


def test_the_statement_timeout_reaches_the_database_connection(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DJANGO_DB_STATEMENT_TIMEOUT", "1500")
    options: Any = database_config("postgresql://postgres@db/rilo")["OPTIONS"]
    assert options["options"] == "-c statement_timeout=1500"
    monkeypatch.delenv("DJANGO_DB_STATEMENT_TIMEOUT")
    options = database_config("postgresql://postgres@db/rilo")["OPTIONS"]
    assert "options" not in options


def test_docker_and_the_benchmarks_start_gunicorn_with_this_file():
    assert "--config /app/gunicorn.conf.py" in (ROOT / "docker" / "entrypoint.sh").read_text()
    assert "gunicorn.conf.py" in (ROOT / "bench" / "harness.py").read_text()
