"""Production settings: refuse to start without secrets; pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from rilo.settings.base import database_config

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "rilo.settings.production",
    "DJANGO_SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-0123456789",
    "DATABASE_URL": "postgres://rilo:secret@db.example.org:5432/rilo",
    "REDIS_URL": "redis://cache.example.org:6379/0",
    "DJANGO_ALLOWED_HOSTS": "rilo.example.org",
    "RILO_SECRETS_KEY": "OnQtxRGk1Wf8WrrpKMDnZrxY-qvsWlY5dX4E7TkiuOc=",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "RILO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env={**clean, **env}, capture_output=True, text=True
    )


@pytest.mark.slow
def test_production_settings_pass_the_deployment_checks() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOWED_HOSTS", "RILO_SECRETS_KEY"])
def test_production_refuses_to_start_without_a_required_setting(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr
    # a clear message, not a page of traceback frames from our code
    assert "ImproperlyConfigured" in result.stderr


def test_debug_is_off_in_tests() -> None:
    assert settings.DEBUG is False


def test_database_urls_with_a_socket_directory_are_understood() -> None:
    config = database_config("postgresql://postgres@/rilo?host=/run/pg&sslmode=disable")
    assert (config["NAME"], config["HOST"], config["USER"]) == ("rilo", "/run/pg", "postgres")
    assert config["OPTIONS"] == {"sslmode": "disable", "server_side_binding": True, "prepare_threshold": 5}


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_DB_PREPARE_THRESHOLD", "off")
    config = database_config("postgresql://postgres@db/rilo")
    assert config["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": None}


@pytest.mark.django_db
def test_the_database_connection_binds_parameters_on_the_server_and_prepares_statements() -> None:
    from django.db import connection
    from psycopg import ClientCursor

    connection.ensure_connection()
    raw = connection.connection
    assert raw.prepare_threshold == 5
    with raw.cursor() as cursor:
        assert not isinstance(cursor, ClientCursor)
        for _ in range(6):
            cursor.execute("SELECT %s::text AS rilo_prepared_check", ["reports"])
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%rilo_prepared_check%"])
        assert cursor.fetchone() == (1,)
