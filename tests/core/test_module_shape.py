"""The shape of apps/: no import cycle between its modules, no module over 600 lines.

Both checks read the source only (``ast``, no import of the modules), so they run in milliseconds and say
which modules to look at. Only module-level imports count: an import inside a function runs when the
function is called, after every module has loaded, and one under ``if TYPE_CHECKING:`` never runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

APPS = Path(settings.BASE_DIR) / "apps"
MAX_LINES = 600

# Modules that are tables of data, not code, and may be as long as the data is (migrations, which hold the
# shipped vocabularies, are excepted as a whole). None today: list one here, by path, when one is added.
DATA_TABLES: frozenset[str] = frozenset()


# Import cycles today, each as the sorted modules of one strongly connected component. SHRINKING, as above.
CYCLES_TODAY: frozenset[tuple[str, ...]] = frozenset()


def _modules() -> dict[str, Path]:
    """Every module of apps/ by dotted name (a package by its own name, from its ``__init__``)."""
    modules = {}
    for path in sorted(APPS.rglob("*.py")):
        parts = path.relative_to(APPS.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _top_level(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements that run when the module is imported (``if``/``try`` bodies too, not ``TYPE_CHECKING``)."""
    for statement in statements:
        if isinstance(statement, ast.If):
            test = statement.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                yield from _top_level(statement.orelse)
                continue
            yield from _top_level(statement.body)
            yield from _top_level(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, *(h.body for h in statement.handlers), statement.orelse, statement.finalbody):
                yield from _top_level(block)
        else:
            yield statement


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of apps/ that importing ``name`` imports first (with the packages that hold them)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for statement in _top_level(ast.parse(path.read_text(), filename=str(path)).body):
        if isinstance(statement, ast.Import):
            targets.update(alias.name for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            base = statement.module or ""
            if statement.level:
                anchor = package.split(".")[: len(package.split(".")) - statement.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in statement.names)
    found = set()
    for target in targets:
        parts = target.split(".")
        for end in range(1, len(parts) + 1):
            candidate = ".".join(parts[:end])
            # A module's own packages are already being imported when it runs: not an edge.
            if candidate in modules and not name.startswith(f"{candidate}.") and candidate != name:
                found.add(candidate)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported(name, path, modules) for name, path in modules.items() if ".migrations" not in name}


def cycles(graph: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """The strongly connected components of more than one module (Tarjan), each as sorted names."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(tuple(sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_and_nothing_else() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == {("a", "b", "c")}


def test_the_graph_follows_relative_imports_and_skips_type_checking_and_function_bodies() -> None:
    graph = import_graph()
    # apps/reports/services/workflow.py imports the models at module level, relatively ("from ..models import").
    assert "apps.reports.models" in graph["apps.reports.services.workflow"]
    # the package imports its modules relatively ("from .workflow import ...").
    assert "apps.reports.services.workflow" in graph["apps.reports.services"]
    assert all(".migrations" not in target for targets in graph.values() for target in targets)


def test_no_import_cycle_between_modules_of_apps() -> None:
    found = cycles(import_graph())
    new = found - CYCLES_TODAY
    assert not new, "import cycles (break them with a function-level import or by moving code): " + "; ".join(
        " <-> ".join(cycle) for cycle in sorted(new)
    )
    gone = CYCLES_TODAY - found
    assert not gone, f"these cycles are gone: remove them from CYCLES_TODAY: {sorted(gone)}"


def _line_counts() -> dict[str, int]:
    root = APPS.parent
    return {
        str(path.relative_to(root)): len(path.read_text().splitlines())
        for path in sorted(APPS.rglob("*.py"))
        if "migrations" not in path.relative_to(APPS).parts[:-1]
    }


def test_no_module_in_apps_is_over_600_lines() -> None:
    counts = _line_counts()
    over = {path: lines for path, lines in counts.items() if lines > MAX_LINES and path not in DATA_TABLES}
    assert not over, f"modules over {MAX_LINES} lines (split them along their sections): {over}"


def test_the_data_tables_excepted_exist() -> None:
    missing = sorted(path for path in DATA_TABLES if not (APPS.parent / path).is_file())
    assert not missing, f"remove from DATA_TABLES, these modules no longer exist: {missing}"
