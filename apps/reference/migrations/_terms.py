"""Upsert of built-in vocabulary terms, shared by the data migrations.

Django's migration loader skips modules whose name starts with an underscore, so this is a helper,
not a migration. It works on the historical models it is handed, never on the current ones.
Terms are matched by their stable code: running a load twice changes nothing, and an existing
term's ``active`` flag and partner codes (``cen_code``, ``cis_code``) are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def upsert_terms(apps: Any, model_name: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Create or update each row by ``code``; a string given for a foreign key is the related term's code."""
    model = apps.get_model("reference", model_name)
    relations = {field.name: field.related_model for field in model._meta.fields if field.is_relation}
    for position, row in enumerate(rows, start=1):
        values = dict(row)
        code = values.pop("code")
        values.setdefault("sort_order", position * 10)
        for name, related_model in relations.items():
            if isinstance(values.get(name), str):
                values[name] = related_model._default_manager.get(code=values[name])
        model._default_manager.update_or_create(code=code, defaults=values)
