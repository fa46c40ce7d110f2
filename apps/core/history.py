"""Change history of the models that keep one (django-simple-history), built for speed on every save.

simple-history's ``instance.history`` descriptor builds a new manager class (``from_queryset``,
which walks the queryset class with ``inspect``) on every access, and saving a tracked model
accesses it once. :class:`History` builds that class once per queryset class.
"""

from __future__ import annotations

import functools
from typing import Any

from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords

from apps.core.caches import process_cache_register


class _SharedClassHistoryManager(HistoryManager):
    @classmethod
    def from_queryset(cls, queryset_class: Any, class_name: str | None = None) -> Any:
        return _manager_class(cls, queryset_class, class_name)


@functools.cache
def _manager_class(manager: type[HistoryManager], queryset_class: Any, class_name: str | None) -> Any:
    """The manager class of ``manager`` over ``queryset_class``, built once per process."""
    return super(_SharedClassHistoryManager, manager).from_queryset(queryset_class, class_name)


process_cache_register("core.history.manager_class", _manager_class.cache_clear)


class History(HistoricalRecords):
    """``HistoricalRecords`` whose ``model.history`` manager class is built once, not on each save."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("history_manager", _SharedClassHistoryManager)
        super().__init__(*args, **kwargs)
