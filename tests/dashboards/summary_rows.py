"""Every stored summary row, for tests comparing two ways of computing them."""

from __future__ import annotations

from typing import Any

from apps.dashboards.fills import SUMMARY_MODELS


def summary_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every summary table, without ids, in a stable order."""
    tables = {}
    for model in SUMMARY_MODELS:
        names = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        tables[model.__name__] = sorted(model._default_manager.values_list(*names), key=repr)
    return tables
