"""The embedded fallback: PostgreSQL and Redis from wheels, no installed server needed."""

from __future__ import annotations

import atexit
from pathlib import Path

import psycopg
import pytest
import redis

from apps.core.runtime import start_embedded_postgres, start_embedded_redis
from rilo.settings.base import celery_broker_url, database_config


@pytest.mark.slow
def test_embedded_postgres_starts_creates_the_database_and_answers(tmp_path: Path) -> None:
    url, server = start_embedded_postgres(tmp_path / "pg", database="rilo_embedded_check")
    try:
        config = database_config(url)
        assert config["NAME"] == "rilo_embedded_check"
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("rilo_embedded_check",)
        # A second start on the same data directory reuses the running server and database.
        again, _ = start_embedded_postgres(tmp_path / "pg", database="rilo_embedded_check")
        assert again == url
    finally:
        server.cleanup()
        atexit.unregister(server._cleanup)  # already stopped; nothing left to do at exit


@pytest.mark.slow
def test_embedded_redis_answers_on_a_unix_socket(tmp_path: Path) -> None:
    url, server = start_embedded_redis(tmp_path / "redis")
    try:
        assert url.startswith("unix://")
        client = redis.Redis.from_url(url)
        client.set("rilo-check", "1")
        assert client.get("rilo-check") == b"1"
        assert celery_broker_url(url).startswith("redis+socket:///")
    finally:
        server.shutdown()
