"""Where the demo, the benchmarks and the project package live, and who may import whom."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> dict[str, set[str]]:
    """Top-level package names each module under ``package`` imports (relative imports left out)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_no_app_imports_the_demo_or_the_benchmarks() -> None:
    offenders = {path for path, names in _imports("apps").items() if names & {"demo", "bench", "tests"}}
    assert offenders == set()


def test_the_benchmarks_and_the_demo_import_nothing_from_the_tests() -> None:
    offenders = {path for package in ("bench", "demo") for path, names in _imports(package).items() if "tests" in names}
    assert offenders == set()


def test_the_project_package_holds_only_settings_urls_celery_and_the_servers_entry_points() -> None:
    modules = {path.name for path in (ROOT / "rilo").glob("*.py")}
    assert modules == {"__init__.py", "urls.py", "api_urls.py", "celery.py", "wsgi.py", "asgi.py"}
    assert (ROOT / "rilo" / "settings").is_dir()
