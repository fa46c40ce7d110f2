"""Change history of the models that keep one (django-simple-history), built for speed on every save.

simple-history's ``instance.history`` descriptor builds a new manager class (``from_queryset``,
which walks the queryset class with ``inspect``) on every access, and saving a tracked model
accesses it once. :class:`History` builds that class once per queryset class.
"""

from __future__ import annotations

from typing import Any

from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords

from apps.core.caches import ProcessCache, process_cache

# The manager classes made, per (manager class, queryset class, class name).
_manager_classes: ProcessCache[tuple[Any, Any, str | None], Any] = process_cache("core.history.manager_classes")


class _SharedClassHistoryManager(HistoryManager):
    @classmethod
    def from_queryset(cls, queryset_class: Any, class_name: str | None = None) -> Any:
        key = (cls, queryset_class, class_name)
        made = _manager_classes.get(key)
        if made is None:
            made = _manager_classes.put(key, super().from_queryset(queryset_class, class_name))
        return made


class History(HistoricalRecords):
    """``HistoricalRecords`` whose ``model.history`` manager class is built once, not on each save."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("history_manager", _SharedClassHistoryManager)
        super().__init__(*args, **kwargs)
