"""The change history's manager: one class per model, not one per save."""

from __future__ import annotations

from apps.reports.models import Party, Report, ReportItem


def test_the_history_manager_class_is_built_once_per_model() -> None:
    for model in (Report, ReportItem, Party):
        first, second = model.history, model.history  # type: ignore[attr-defined]
        assert first is not second  # a manager per access, as simple-history gives
        assert type(first) is type(second)
        assert first.model is model.history.model  # type: ignore[attr-defined]
