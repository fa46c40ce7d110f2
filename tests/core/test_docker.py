"""docker/: one non-root multi-stage image and a compose stack of postgres, redis, web, worker, beat."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def test_compose_defines_the_whole_stack_from_one_anchored_image():
    compose = yaml.safe_load((DOCKER / "compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "migrate"} <= set(services)
    app_services = ["web", "worker", "beat", "migrate"]
    images = {services[name]["image"] for name in app_services}
    assert len(images) == 1
    assert services["web"]["command"] == ["web"]
    for name in app_services:
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "rilo.settings.production"
        # secrets are required from the environment, never written in the file
        assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")


def test_image_is_multi_stage_and_runs_as_a_non_root_user():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(stages) >= 2
    user_lines = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user_lines and user_lines[-1] != "USER root"


def _compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


def _size_in_bytes(value: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    value = value.strip().lower()
    return int(value[:-1]) * units[value[-1]] if value[-1] in units else int(value)


def _default(expression: str) -> str:
    """The default of a compose ``${NAME:-default}`` expression."""
    assert expression.startswith("${") and ":-" in expression, expression
    return expression[expression.index(":-") + 2 : -1]


def test_only_the_tls_proxy_publishes_ports_and_gunicorn_is_not_reachable_directly():
    services = _compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert "ports" not in services["web"]
    targets = sorted(int(port.rsplit(":", 1)[1]) for port in services["proxy"]["ports"])
    assert targets == [80, 443]


def test_the_proxy_is_an_official_nginx_image_with_our_config_and_mounted_certificates():
    proxy = _compose()["services"]["proxy"]
    image = proxy["image"]
    assert image.split(":")[0] == "nginx" and "/" not in image  # Docker's official library image
    mounts = {volume.rsplit(":", 2)[1] if volume.count(":") >= 2 else volume for volume in proxy["volumes"]}
    assert "/etc/nginx/templates/default.conf.template" in mounts
    assert "/etc/nginx/certs" in mounts
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"


def _nginx() -> str:
    return (DOCKER / "nginx.conf.template").read_text()


def test_the_proxy_redirects_http_to_https_and_terminates_tls():
    config = _nginx()
    http_server = config.split("server {")[1]
    assert "listen 80" in http_server and "return 301 https://$host$request_uri;" in http_server
    assert "listen 443 ssl" in config
    assert "ssl_certificate /etc/nginx/certs/fullchain.pem;" in config
    assert "ssl_certificate_key /etc/nginx/certs/privkey.pem;" in config
    assert "TLSv1 " not in config and "TLSv1.1" not in config


def test_the_proxy_forwards_the_client_address_and_scheme_the_app_trusts():
    config = _nginx()
    assert "proxy_pass http://web:8000;" in config
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in config
    assert "proxy_set_header X-Forwarded-Proto https;" in config
    env = _compose()["services"]["web"]["environment"]
    assert env["RILO_TRUSTED_PROXY_COUNT"] == "1"
    assert env["DJANGO_SETTINGS_MODULE"] == "rilo.settings.production"
    production = (DOCKER.parent / "rilo" / "settings" / "production.py").read_text()
    assert 'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")' in production


def test_request_bodies_are_capped_at_the_proxy_just_above_the_largest_file_the_app_takes():
    config = _nginx()
    assert "client_max_body_size ${RILO_PROXY_MAX_BODY};" in config
    compose = _compose()["services"]
    cap = _size_in_bytes(_default(compose["proxy"]["environment"]["RILO_PROXY_MAX_BODY"]))
    attachment = int(_default(compose["web"]["environment"]["RILO_ATTACHMENT_MAX_BYTES"]))
    upload = int(_default(compose["web"]["environment"]["RILO_UPLOAD_MAX_BYTES"]))
    from django.conf import settings

    assert attachment == settings.RILO_ATTACHMENT_MAX_BYTES
    assert upload == settings.RILO_UPLOAD_MAX_BYTES
    largest = max(attachment, upload)
    assert largest < cap <= largest + 2 * 1024 * 1024
    # only our ${RILO_...} variables are substituted: nginx's own $host, $request_uri stay
    assert compose["proxy"]["environment"]["NGINX_ENVSUBST_FILTER"] == "^RILO_"


def test_smtp_credentials_and_tls_reach_the_app_from_the_environment():
    env = _compose()["services"]["web"]["environment"]
    for name in (
        "DJANGO_EMAIL_HOST",
        "DJANGO_EMAIL_PORT",
        "DJANGO_EMAIL_HOST_USER",
        "DJANGO_EMAIL_HOST_PASSWORD",
        "DJANGO_EMAIL_USE_TLS",
        "DJANGO_EMAIL_USE_SSL",
    ):
        assert env[name].startswith("${" + name), name


def test_the_web_app_and_the_workers_share_the_private_file_stores():
    services = _compose()["services"]
    dockerfile = (DOCKER / "Dockerfile").read_text()
    # A bulk upload is written by the web app and read by a worker; a job's file the other way round.
    for setting, volume in (("RILO_UPLOADS_ROOT", "uploads"), ("RILO_JOBS_ROOT", "jobs")):
        path = re.search(rf"{setting}=(\S+)", dockerfile)
        assert path, setting
        mount = f"{volume}:{path.group(1)}"
        for name in ("web", "worker"):
            assert mount in services[name]["volumes"], (name, mount)
        assert volume in _compose()["volumes"]
