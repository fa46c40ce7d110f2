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


SMTP_ENV = {
    "DJANGO_EMAIL_HOST": "smtp.example.org",
    "DJANGO_EMAIL_PORT": "587",
    "DJANGO_EMAIL_HOST_USER": "rilo-mailer",
    "DJANGO_EMAIL_HOST_PASSWORD": "s3cret-smtp",
    "DJANGO_EMAIL_USE_TLS": "true",
}
PRINT_SMTP = (
    "from django.conf import settings as s; "
    "print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL)"
)


@pytest.mark.slow
def test_smtp_host_credentials_and_tls_are_settings_from_the_environment() -> None:
    result = run_manage("shell", "-c", PRINT_SMTP, env={**PRODUCTION_ENV, **SMTP_ENV})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "smtp.example.org",
        "587",
        "rilo-mailer",
        "s3cret-smtp",
        "True",
        "False",
    ]


@pytest.mark.slow
def test_production_refuses_starttls_and_implicit_tls_at_once() -> None:
    result = run_manage("check", env={**PRODUCTION_ENV, **SMTP_ENV, "DJANGO_EMAIL_USE_SSL": "true"})
    assert result.returncode != 0
    assert "DJANGO_EMAIL_USE_TLS and DJANGO_EMAIL_USE_SSL are both on" in result.stderr


def test_smtp_defaults_send_without_credentials_or_tls() -> None:
    assert (settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD) == ("", "")
    assert (settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL) == (False, False)


@pytest.mark.slow
def test_production_refuses_a_content_security_policy_that_allows_inline_script() -> None:
    loose = "default-src 'self'; script-src 'self' 'unsafe-inline'"
    result = run_manage("check", env={**PRODUCTION_ENV, "RILO_CONTENT_SECURITY_POLICY": loose})
    assert result.returncode != 0
    assert "script-src must not allow 'unsafe-inline'" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


@pytest.mark.slow
def test_production_sends_the_language_cookie_as_the_session_cookie() -> None:
    """Over HTTPS only, out of scripts' reach, on top-level navigation only: as the session cookie."""
    code = (
        "from django.conf import settings as s\n"
        "for n in ('SECURE', 'HTTPONLY', 'SAMESITE'):\n"
        "    print('cookie', n, getattr(s, 'LANGUAGE_COOKIE_' + n), getattr(s, 'SESSION_COOKIE_' + n))"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("cookie ")]
    assert lines == ["cookie SECURE True True", "cookie HTTPONLY True True", "cookie SAMESITE Lax Lax"]
