"""The page's browser libraries come from npm (package.json and its lock file, `npm ci` in `make install`) and are
served from node_modules as static files: exactly the listed files, nothing vendored in the repository."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.checks import Error

from apps.core.npm_assets import NodeModulesFinder

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"echarts", "world-atlas", "topojson-client"}


def test_the_packages_are_pinned_by_the_committed_lock_file() -> None:
    manifest = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert set(manifest["dependencies"]) == PACKAGES
    assert lock["packages"][""]["dependencies"] == manifest["dependencies"]
    for name, version in manifest["dependencies"].items():
        locked = lock["packages"][f"node_modules/{name}"]
        assert locked["version"] == version and locked["integrity"].startswith("sha512-"), name


def _install_commands(*, changed: str) -> list[str]:
    """The commands `make install` would run (make's dry run) were ``changed`` just modified."""
    dry_run = subprocess.run(
        ["make", "--dry-run", f"--what-if={changed}", "install"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [line.strip() for line in dry_run.stdout.splitlines()]


def test_make_install_runs_npm_ci_when_the_lock_file_changes_and_nothing_of_node_modules_is_committed() -> None:
    for changed in ("package.json", "package-lock.json"):
        assert any(line.startswith("npm ci ") for line in _install_commands(changed=changed)), changed
    assert "node_modules/" in (ROOT / ".gitignore").read_text().splitlines()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert not [name for name in tracked if "node_modules/" in name or name.endswith(("echarts.min.js", ".topojson"))]


def test_the_listed_files_are_found_and_nothing_else_of_node_modules() -> None:
    for name in settings.RILO_NPM_STATIC_FILES:
        found = finders.find(name)
        assert found and Path(found).is_file() and Path(found).is_relative_to(settings.RILO_NODE_MODULES_DIR), name
    for name in (
        "echarts/package.json",
        "echarts/dist/echarts.js",
        "echarts/index.js",
        "world-atlas/countries-10m.json",
    ):
        assert (settings.RILO_NODE_MODULES_DIR / name).exists(), name  # there, but not served
        assert not finders.find(name), name
    listed = sorted(path for path, _storage in NodeModulesFinder().list([]))
    assert listed == sorted(settings.RILO_NPM_STATIC_FILES)


def test_every_static_file_the_page_loads_is_found() -> None:
    template = (ROOT / "templates" / "dashboards" / "dashboard.html").read_text()
    used = re.findall(r"\{% static '([^']+)' %\}", template)
    assert {"echarts/dist/echarts.min.js", "world-atlas/countries-110m.json", "js/dashboards/page.js"} <= set(used)
    for name in used:
        assert finders.find(name), name
    for module in (ROOT / "static" / "js" / "dashboards").glob("*.js"):
        for imported in re.findall(r'from "\./([^"]+)"', module.read_text()):
            assert (module.parent / imported).is_file(), (module.name, imported)


def test_the_system_check_says_to_run_make_install_when_the_packages_are_missing(settings, tmp_path: Path) -> None:
    settings.RILO_NODE_MODULES_DIR = tmp_path / "node_modules"
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    errors = NodeModulesFinder().check()
    assert len(errors) == 1 and isinstance(errors[0], Error)
    assert "make install" in (errors[0].hint or "")
    # A copy collected by collectstatic (the production image keeps no node_modules) is as good.
    for name in settings.RILO_NPM_STATIC_FILES:
        (settings.STATIC_ROOT / name).parent.mkdir(parents=True, exist_ok=True)
        (settings.STATIC_ROOT / name).write_text("collected")
    assert NodeModulesFinder().check() == []
