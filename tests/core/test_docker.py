"""docker/: one non-root multi-stage image and a compose stack of postgres, redis, web, worker, beat."""

from __future__ import annotations

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
