"""The shape of apps/: no import cycle between its modules, no module over 600 lines.

Both checks read the source only (``ast``, no import of the modules), so they run in milliseconds and say
which modules to look at. The cycle check counts module-level imports; an import inside a function runs
when the function is called, after every module has loaded, and one under ``if TYPE_CHECKING:`` never
runs. A function-level import may still hide a cycle (two modules needing each other, one of them
importing late to get away with it): those are counted too, and the few that stay are listed, with why.
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


# Function-level imports that close an import cycle, each (importer, imported): why it stays. SHRINKING:
# fix a cycle by moving code, never by adding an entry here.
# The three left are Django's: a model's manager is built from its queryset class (``models`` imports
# ``querysets``), and a queryset's ``scope()`` filters through another model of the app.
_SCOPE_THROUGH_A_RELATED_MODEL = "scope() reads a related model; the models module builds its managers from here"
LATE_IMPORTS_TODAY: dict[tuple[str, str], str] = {
    ("apps.accounts.querysets", "apps.accounts.models"): _SCOPE_THROUGH_A_RELATED_MODEL,
    ("apps.exchange.querysets", "apps.exchange.models"): _SCOPE_THROUGH_A_RELATED_MODEL,
    ("apps.reports.querysets", "apps.reports.models"): _SCOPE_THROUGH_A_RELATED_MODEL,
}


def _modules() -> dict[str, Path]:
    """Every module of apps/ by dotted name (a package by its own name, from its ``__init__``)."""
    modules = {}
    for path in sorted(APPS.rglob("*.py")):
        parts = path.relative_to(APPS.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
    return name == "TYPE_CHECKING"


def _top_level(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements that run when the module is imported (``if``/``try`` bodies too, not ``TYPE_CHECKING``)."""
    for statement in statements:
        if isinstance(statement, ast.If):
            if _is_type_checking(statement.test):
                yield from _top_level(statement.orelse)
                continue
            yield from _top_level(statement.body)
            yield from _top_level(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, *(h.body for h in statement.handlers), statement.orelse, statement.finalbody):
                yield from _top_level(block)
        else:
            yield statement


def _in_functions(statements: list[ast.stmt], inside: bool = False) -> Iterator[ast.stmt]:
    """The statements that run only when a function of the module is called (not under ``TYPE_CHECKING``)."""
    for statement in statements:
        if isinstance(statement, ast.If) and _is_type_checking(statement.test):
            yield from _in_functions(statement.orelse, inside)
            continue
        if inside:
            yield statement
        nested = inside or isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
        for field in ("body", "orelse", "finalbody"):
            block = getattr(statement, field, None)
            if isinstance(block, list):
                yield from _in_functions(block, nested)
        for handler in getattr(statement, "handlers", []):
            yield from _in_functions(handler.body, nested)


def _imported(name: str, path: Path, modules: dict[str, Path], *, late: bool = False) -> set[str]:
    """The modules of apps/ that importing ``name`` imports first (with the packages that hold them).

    With ``late``, those its functions import when called instead.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    body = ast.parse(path.read_text(), filename=str(path)).body
    for statement in _in_functions(body) if late else _top_level(body):
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


def import_graph(*, late: bool = False) -> dict[str, set[str]]:
    """Module-level imports between the modules of apps/, or with ``late`` those of their functions."""
    modules = _modules()
    return {
        name: _imported(name, path, modules, late=late) for name, path in modules.items() if ".migrations" not in name
    }


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


def late_imports_closing_cycles() -> set[tuple[str, str]]:
    """The function-level imports (importer, imported) whose two modules need each other."""
    graph = import_graph()
    late = import_graph(late=True)
    combined = {name: graph[name] | late.get(name, set()) for name in graph}
    component = {member: cycle for cycle in cycles(combined) for member in cycle}
    return {
        (name, target)
        for name, targets in late.items()
        for target in targets - graph[name]
        if name in component and component.get(target) == component[name]
    }


def test_the_late_import_finder_skips_module_level_and_type_checking_imports() -> None:
    late = import_graph(late=True)
    # apps/exchange/querysets.py imports the accounts roles and its models inside methods.
    assert {"apps.accounts.roles", "apps.exchange.models"} <= late["apps.exchange.querysets"]
    assert "apps.exchange.models" not in import_graph()["apps.exchange.querysets"]
    assert "apps.reports.models" in import_graph()["apps.reports.services.workflow"]
    assert "apps.reports.models" not in late["apps.reports.services.workflow"]


def test_no_function_level_import_hides_a_cycle() -> None:
    found = late_imports_closing_cycles()
    new = found - set(LATE_IMPORTS_TODAY)
    assert not new, "function-level imports closing a cycle (move the code both need into a module of its own): " + (
        "; ".join(f"{a} -> {b}" for a, b in sorted(new))
    )
    gone = set(LATE_IMPORTS_TODAY) - found
    assert not gone, f"these late imports no longer close a cycle: remove them from LATE_IMPORTS_TODAY: {sorted(gone)}"


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


# The folders Django gives a meaning to (templates, static files, translations, fixtures): a module of apps/ named
# like one reads as that folder (apps/uploads/templates.py beside templates/uploads/, which hold no module).
DJANGO_FOLDER_NAMES = frozenset({"templates", "static", "locale", "fixtures"})


def test_no_module_in_apps_is_named_like_a_django_folder() -> None:
    named = sorted(
        str(path.relative_to(APPS.parent)) for path in APPS.rglob("*.py") if path.stem in DJANGO_FOLDER_NAMES
    )
    assert not named, f"rename these modules after what they make (e.g. blank_files.py): {named}"
