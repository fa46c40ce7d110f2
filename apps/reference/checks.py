"""System check: every foreign key to a vocabulary is PROTECT, so a term in use is never deleted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core import checks
from django.db import models


def vocabulary_foreign_key_errors(model_classes: Iterable[type[models.Model]]) -> list[checks.CheckMessage]:
    """Errors for foreign keys to vocabularies whose ``on_delete`` is not PROTECT.

    History tables (django-simple-history) keep their DO_NOTHING keys without a database
    constraint: they record past values and never block nor follow a deletion.
    """
    from .models import VOCABULARY_MODELS

    errors: list[checks.CheckMessage] = []
    for model in model_classes:
        for field in model._meta.get_fields():
            if not (field.concrete and field.is_relation and (field.many_to_one or field.one_to_one)):
                continue
            if field.related_model not in VOCABULARY_MODELS:
                continue
            on_delete = field.remote_field.on_delete  # type: ignore[union-attr]
            if on_delete is models.PROTECT:
                continue
            if on_delete is models.DO_NOTHING and not getattr(field, "db_constraint", True):
                continue
            errors.append(
                checks.Error(
                    f"{model._meta.label}.{field.name} refers to {field.related_model._meta.label} "  # type: ignore[union-attr]
                    f"with on_delete={on_delete.__name__}.",
                    hint="Use on_delete=models.PROTECT: a reference term in use is deactivated, never deleted.",
                    obj=field,
                    id="reference.E001",
                )
            )
    return errors


@checks.register(checks.Tags.models)
def check_vocabulary_foreign_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    configs = app_configs if app_configs is not None else apps.get_app_configs()
    return vocabulary_foreign_key_errors(model for config in configs for model in config.get_models())
