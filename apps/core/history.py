"""Change history of the models that keep one (django-simple-history), built for speed on every save.

simple-history's ``instance.history`` descriptor builds a new manager class (``from_queryset``,
which walks the queryset class with ``inspect``) on every access, and saving a tracked model
accesses it once. :class:`History` builds that class once per queryset class.

simple-history also indexes every column it copies that is indexed on the model, every foreign key (a vocabulary
term, a user), every unique field, the object's id and the history's date. A report's history is read by the report
(``indexed=("id",)``), a part's by its report (``indexed=("report",)``), never by the part's own id nor by a range
of dates (each sorted by date by its query, a few rows; the upload's key check finds its rows by ``id`` or
``report_id``, the date only a filter: ``SIMPLE_HISTORY_DATE_INDEX`` is off), and a history is cascaded by its
``history_user``: only those are indexed. simple-history's save and delete only insert history rows. The other
indexes made every history row cost as much again to write (an upload writes some 400,000 at once). simple-history's
own ``no_db_index`` names the fields left out; the fields kept are named here instead, so that a field added to a
model is not indexed in its history unless asked. (This overrides ``copy_fields``, which simple-history documents
only as the history model's maker.)
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
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
    """``HistoricalRecords`` whose ``model.history`` manager class is built once, not on each save, and whose
    copied columns are indexed only for the fields named in ``indexed``."""

    def __init__(self, *args: Any, indexed: tuple[str, ...] = (), **kwargs: Any) -> None:
        kwargs.setdefault("history_manager", _SharedClassHistoryManager)
        super().__init__(*args, **kwargs)
        self.indexed = frozenset(indexed)

    def copy_fields(self, model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
        fields: dict[str, models.Field[Any, Any]] = super().copy_fields(model)
        if unknown := self.indexed - fields.keys():
            raise ImproperlyConfigured(f"{model.__name__}'s history copies no field {', '.join(sorted(unknown))}.")
        for name, field in fields.items():
            if name not in self.indexed:
                field.db_index = False  # type: ignore[attr-defined]  # (set in __init__; no stub declares it)
        return fields
