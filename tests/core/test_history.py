"""The change history: its manager (one class per model, not one per save) and its tables' indexes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, models

from apps.core.history import History
from apps.reports.models import Conveyance, Party, Report, ReportItem, RouteCountry


def test_the_history_manager_class_is_built_once_per_model() -> None:
    for model in (Report, ReportItem, Party):
        first, second = model.history, model.history  # type: ignore[attr-defined]
        assert first is not second  # a manager per access, as simple-history gives
        assert type(first) is type(second)
        assert first.model is model.history.model  # type: ignore[attr-defined]


def _indexed_columns(model: type[models.Model]) -> set[tuple[str, ...]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {tuple(found["columns"]) for found in constraints.values() if found["index"] or found["primary_key"]}


@pytest.mark.django_db
def test_a_history_table_indexes_its_lookups_only() -> None:
    # A report's read by its id, a part's by its report, and cascaded by its user: nothing else indexed (no date).
    always = {("history_id",), ("history_user_id",)}  # the primary key, and the cascade
    assert _indexed_columns(Report.history.model) == {*always, ("id",)}  # type: ignore[attr-defined]
    for model in (ReportItem, RouteCountry, Conveyance, Party):
        assert _indexed_columns(model.history.model) == {*always, ("report_id",)}  # type: ignore[attr-defined]


def test_a_field_to_index_that_the_history_does_not_copy_is_refused() -> None:
    history = History(indexed=("reprot",))
    with pytest.raises(ImproperlyConfigured, match="copies no field reprot"):
        history.copy_fields(ReportItem)


@pytest.mark.django_db
def test_the_models_and_their_migrations_agree() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
