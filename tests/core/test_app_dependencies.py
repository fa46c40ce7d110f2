"""Which app may import which: the dependencies between apps point one way (read from the source, as the module
shape test reads it: module-level imports and those of functions alike)."""

from __future__ import annotations

from tests.core.test_module_shape import import_graph

# (importer, imported): an app that must never import another, with why.
FORBIDDEN = {
    ("apps.reports", "apps.dashboards"): "the dashboards count the reports; they register with apps.reports.counting",
}


def _app_imports(importer: str, imported: str) -> list[str]:
    found = []
    for late in (False, True):
        for name, targets in import_graph(late=late).items():
            if name == importer or name.startswith(f"{importer}."):
                found += [f"{name} -> {target}" for target in sorted(targets)
                          if target == imported or target.startswith(f"{imported}.")]  # fmt: skip
    return found


def test_the_finder_sees_an_apps_imports_of_another() -> None:
    assert "apps.dashboards.selectors -> apps.reports.models" in _app_imports("apps.dashboards", "apps.reports")


def test_no_app_imports_an_app_it_must_not() -> None:
    for (importer, imported), why in FORBIDDEN.items():
        assert not _app_imports(importer, imported), f"{importer} imports {imported} ({why})"


def test_the_dashboards_marker_is_registered_with_the_reports_hook_point() -> None:
    from apps.dashboards.services import STATISTICS_MARKER
    from apps.reports.counting import counted_change_markers

    assert STATISTICS_MARKER in counted_change_markers()
