"""Every process cache of apps/ is in the one registry (:mod:`apps.core.caches`), so that
``process_caches_clear()`` empties them all: a ``functools.cache`` / ``lru_cache`` function of apps/ is
registered with ``process_cache_register(name, function.cache_clear)`` in its module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import apps
from apps.core.caches import process_caches, process_caches_clear

APPS = Path(apps.__file__).parent
CACHING = {"cache", "lru_cache"}


def _is_caching(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Name):
        return target.id in CACHING
    return isinstance(target, ast.Attribute) and target.attr in CACHING


def _registered(tree: ast.Module) -> set[str]:
    """The names of the functions whose ``cache_clear`` the module passes to ``process_cache_register``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "process_cache_register":
            for argument in node.args[1:]:
                if (
                    isinstance(argument, ast.Attribute)
                    and argument.attr == "cache_clear"
                    and isinstance(argument.value, ast.Name)
                ):
                    names.add(argument.value.id)
    return names


def _unregistered(source: str) -> list[str]:
    """The functions of ``source`` cached by ``functools`` but not in the registry. A cached function must be
    a module's own (not a method or a nested function): only then can the module register it."""
    tree = ast.parse(source)
    registered = _registered(tree)
    top_level = {node for node in tree.body if isinstance(node, ast.FunctionDef)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if any(map(_is_caching, node.decorator_list)) and (node not in top_level or node.name not in registered):
            found.append(f"{node.name} (line {node.lineno})")
    return found


def test_every_functools_cache_of_apps_is_registered() -> None:
    unregistered = {
        str(path.relative_to(APPS.parent)): names
        for path in sorted(APPS.rglob("*.py"))
        if "migrations" not in path.parts and (names := _unregistered(path.read_text()))
    }
    assert not unregistered, f"register these with apps.core.caches.process_cache_register: {unregistered}"


def test_the_scan_finds_an_unregistered_cache() -> None:
    source = (
        "import functools\nfrom functools import cache, lru_cache\n"
        "@cache\ndef a(): ...\n"
        "@functools.lru_cache(maxsize=2)\ndef b(): ...\n"
        "@lru_cache\ndef c(): ...\n"
        "class K:\n    @functools.cache\n    def d(self): ...\n"
        "process_cache_register('m.c', c.cache_clear)\n"
    )
    assert [name.split()[0] for name in _unregistered(source)] == ["a", "b", "d"]


def test_the_registry_names_the_caches_of_each_app() -> None:
    import apps.core.history
    import apps.exchange.adapters.taxii
    import apps.exchange.snapshot
    import apps.reference.selectors
    import apps.reports.api.list_json  # noqa: F401

    names = set(process_caches())
    assert {
        "core.history.manager_classes",
        "exchange.adapters.taxii.collections",
        "exchange.snapshot.field_catalogue",
        "reference.selectors.known_codes",
        "reports.api.list_json.compiled_sql",
    } <= names


@pytest.mark.django_db
def test_clearing_the_registry_empties_a_functools_cache_and_a_dict_cache() -> None:
    from apps.reference.models import Vocabulary
    from apps.reference.selectors import _known_codes
    from apps.reports.api.list_json import compiled_sql

    compiled_sql()
    _known_codes[Vocabulary] = {1: "X"}
    assert compiled_sql.cache_info().currsize == 1
    process_caches_clear()
    assert compiled_sql.cache_info().currsize == 0
    assert not _known_codes
