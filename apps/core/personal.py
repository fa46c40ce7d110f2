"""The one catalogue of personal fields, read by the exchange layer and by tests.

Each app declares ``PERSONAL_FIELDS`` (model name -> field names) in its models module. A model
an app does not list is treated as entirely personal (fail closed), except in an app whose
``PERSONAL_FIELDS`` is empty, which thereby declares it holds no personal data. A
django-simple-history model inherits the tagging of the model it records, plus its own
``history_user`` and ``history_change_reason``.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models

_HISTORY_PERSONAL = frozenset({"history_user", "history_change_reason"})


def field_names(model: type[models.Model]) -> frozenset[str]:
    """Names of the model's concrete and many-to-many fields."""
    opts = model._meta
    return frozenset(f.name for f in opts.concrete_fields) | frozenset(f.name for f in opts.many_to_many)


def _declared(model: type[models.Model], attribute: str) -> dict[str, frozenset[str]] | None:
    module = apps.get_app_config(model._meta.app_label).models_module
    return getattr(module, attribute, None)


def personal_fields(model: type[models.Model] | models.Model) -> frozenset[str]:
    """The names of the fields of ``model`` that hold personal data."""
    model_class: Any = model if isinstance(model, type) else type(model)
    recorded = getattr(model_class, "instance_type", None)
    if recorded is not None and hasattr(model_class, "history_object"):
        return (personal_fields(recorded) | _HISTORY_PERSONAL) & field_names(model_class)
    declared = _declared(model_class, "PERSONAL_FIELDS")
    if declared is None:
        return field_names(model_class)
    name = model_class._meta.object_name
    if name in declared:
        return frozenset(declared[name])
    return frozenset() if not declared else field_names(model_class)


def is_personal(model: type[models.Model] | models.Model, field: str) -> bool:
    """Whether ``field`` of ``model`` holds personal data."""
    return field in personal_fields(model)


def non_personal_fields(model: type[models.Model] | models.Model) -> frozenset[str]:
    """The fields the app explicitly declares non-personal (``NON_PERSONAL_FIELDS``), if it declares them."""
    model_class: Any = model if isinstance(model, type) else type(model)
    recorded = getattr(model_class, "instance_type", None)
    if recorded is not None and hasattr(model_class, "history_object"):
        history_own = {"history_id", "history_date", "history_type"}
        return (non_personal_fields(recorded) | history_own) & field_names(model_class)
    declared = _declared(model_class, "NON_PERSONAL_FIELDS") or {}
    return frozenset(declared.get(model_class._meta.object_name, frozenset()))


def reviewable_free_text(model: type[models.Model] | models.Model) -> frozenset[str]:
    """The personal free-text fields of ``model`` a reviewer may clear for partners without personal data.

    Read from the app's ``REVIEWABLE_FREE_TEXT``; always a subset of :func:`personal_fields`.
    """
    model_class: Any = model if isinstance(model, type) else type(model)
    declared = _declared(model_class, "REVIEWABLE_FREE_TEXT") or {}
    return frozenset(declared.get(model_class._meta.object_name, frozenset())) & personal_fields(model_class)
