"""A report's change history (django-simple-history) as readable differences: field: old → new, who, when.

The services replace a report's items, route, conveyances and parties as a whole on every save, so
their rows are compared by position between two saves of the report, not by database id. Values of
personal fields are never shown here ("changed" only), and parties are reported as added, removed or
changed without their values: the history page is not a way around the personal-data gate. The reasons
given for a correction or a withdrawal are free text (possibly personal): shown only to readers who may
see the report's personal data; others are told that a reason was given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from apps.core.actor import Actor
from apps.core.exceptions import NotFound

from . import catalogue
from .models import PERSONAL_FIELDS, Conveyance, Party, Report, ReportItem, RouteCountry

if TYPE_CHECKING:
    from apps.accounts.models import User

# Bookkeeping columns that change on every save and say nothing to a reader.
_IGNORED = frozenset(
    {"id", "uuid", "created_at", "updated_at", "administration", "report", "search_vector", "position", "sequence"}
    | {"created_by", "submitted_by", "approved_by", "submitted_at", "approved_at"}
)
_PARTS: tuple[tuple[str, type[models.Model], str], ...] = (
    ("item", ReportItem, "position"),
    ("route", RouteCountry, "sequence"),
    ("conveyance", Conveyance, "id"),
    ("party", Party, "position"),
)
_COUNTRY_NAMES = dict(countries)


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: dt.datetime
    who: str
    kind: str  # "created", "changed"
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    reason_hidden: bool = False  # a reason was given, not shown to this reader (free text: possibly personal)


def report_change_history(*, user: Actor, report: Report) -> list[HistoryEntry]:
    """Every recorded save of the report that changed something, newest first (queries do not grow with rows)."""
    if not Report.objects.restrict(user, "view").filter(pk=report.pk).exists():
        raise NotFound(_("Report not found."))
    personal = Report.objects.restrict(user, "view_personal_data").filter(pk=report.pk).exists()
    versions = list(
        Report.history.filter(id=report.pk).select_related("history_user").order_by("history_date", "history_id")  # type: ignore[attr-defined]
    )
    if not versions:
        return []
    part_records = {
        label: list(
            model.history.filter(report_id=report.pk).order_by("history_date", "history_id")  # type: ignore[attr-defined]
        )
        for label, model, _order in _PARTS
    }
    labels = _Labels(versions, part_records)

    entries: list[HistoryEntry] = []
    checkpoints = [version.history_date for version in versions[1:]] + [None]
    previous_parts: dict[str, list[Any]] | None = None
    for index, version in enumerate(versions):
        parts_now = {label: _rows_at(part_records[label], checkpoints[index], order) for label, _model, order in _PARTS}
        who = _who(version.history_user)
        given = version.history_change_reason or ""
        reason, hidden = (given, False) if personal else ("", bool(given))
        if index == 0:
            entries.append(
                HistoryEntry(at=version.history_date, who=who, kind="created", reason=reason, reason_hidden=hidden)
            )
        else:
            changes = _report_changes(versions[index - 1], version, labels)
            for label, model, _order in _PARTS:
                before = previous_parts[label] if previous_parts is not None else []
                changes += _part_changes(label, model, before, parts_now[label], labels)
            if changes or given:
                entries.append(
                    HistoryEntry(
                        at=version.history_date,
                        who=who,
                        kind="changed",
                        reason=reason,
                        changes=changes,
                        reason_hidden=hidden,
                    )
                )
        previous_parts = parts_now
    entries.reverse()
    return entries


def _who(user: User | None) -> str:
    if user is None:
        return "the system"
    return user.get_full_name() or user.username


def _rows_at(records: Sequence[Any], before: dt.datetime | None, order: str) -> list[Any]:
    """The part's rows as they stood just before ``before`` (the next save of the report)."""
    alive: dict[int, Any] = {}
    for record in records:
        if before is not None and record.history_date >= before:
            break
        if record.history_type == "-":
            alive.pop(record.id, None)
        else:
            alive[record.id] = record
    return sorted(alive.values(), key=lambda row: (getattr(row, order) or 0, row.id))


def _tracked_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if f.name not in _IGNORED and f.editable]


def _field_label(model: type[models.Model], model_field: Any) -> str:
    """The field's label as the forms show it (the catalogue's, translated); the model's name for the others."""
    for declared in catalogue.PARTS.values():
        if declared.model_name == model.__name__:
            try:
                return str(catalogue.field(declared.name, model_field.name).label)
            except KeyError:
                break
    return str(model_field.verbose_name).capitalize()


def _report_changes(old: Any, new: Any, labels: _Labels) -> list[FieldChange]:
    changes = []
    personal = PERSONAL_FIELDS["Report"]
    for model_field in _tracked_fields(Report):
        name = model_field.attname
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        label = _field_label(Report, model_field)
        if model_field.name in personal:
            changes.append(FieldChange(label, "", str(_("changed (personal data not shown)"))))
        else:
            changes.append(FieldChange(label, labels.show(model_field, before), labels.show(model_field, after)))
    return changes


def _part_changes(
    part: str, model: type[models.Model], before: list[Any], after: list[Any], labels: _Labels
) -> list[FieldChange]:
    changes: list[FieldChange] = []
    personal = PERSONAL_FIELDS[model.__name__]
    for number in range(1, max(len(before), len(after)) + 1):
        old = before[number - 1] if number <= len(before) else None
        new = after[number - 1] if number <= len(after) else None
        row = catalogue.part(part).row_label(number)
        if old is None:
            added = _("added") if model is Party else _("added: %(summary)s") % {"summary": _row_summary(new, labels)}
            changes.append(FieldChange(row, "", str(added)))
            continue
        if new is None:
            changes.append(FieldChange(row, "" if model is Party else _row_summary(old, labels), str(_("removed"))))
            continue
        changed_personal = False
        for model_field in _tracked_fields(model):
            name = model_field.attname
            if getattr(old, name) == getattr(new, name):
                continue
            if model_field.name in personal:
                changed_personal = True
                continue
            field_label = f"{row} \N{EN DASH} {_field_label(model, model_field)}"
            changes.append(
                FieldChange(
                    field_label,
                    labels.show(model_field, getattr(old, name)),
                    labels.show(model_field, getattr(new, name)),
                )
            )
        if changed_personal:
            changes.append(FieldChange(row, "", str(_("personal data changed (not shown)"))))
    return changes


def _row_summary(record: Any, labels: _Labels) -> str:
    if hasattr(record, "quantity"):
        category = labels.show(ReportItem._meta.get_field("commodity_category"), record.commodity_category_id)
        unit = labels.show(ReportItem._meta.get_field("unit"), record.unit_id)
        return f"{category}, {_number(record.quantity)} {unit}"
    if hasattr(record, "role") and hasattr(record, "country") and hasattr(record, "unlocode"):
        return f"{record.get_role_display()} {_COUNTRY_NAMES.get(str(record.country), record.country)}"
    return "a conveyance"


def _number(value: Any) -> str:
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


class _Labels:
    """Readable values: vocabulary terms by label (fetched once per model), choices by label, countries by name."""

    def __init__(self, versions: Iterable[Any], part_records: dict[str, list[Any]]) -> None:
        wanted: dict[type[models.Model], set[Any]] = {}
        for model, records in [(Report, versions)] + [
            (model, part_records[label]) for label, model, _serializer in _PARTS if model is not Party
        ]:
            for model_field in _tracked_fields(model):
                if not model_field.is_relation or model_field.name in PERSONAL_FIELDS[model.__name__]:
                    continue
                related = model_field.related_model
                if related is None or isinstance(related, str) or related is Report:
                    continue
                for record in records:
                    value = getattr(record, model_field.attname)
                    if value is not None:
                        wanted.setdefault(related, set()).add(value)
        self.terms: dict[type[models.Model], dict[Any, str]] = {}
        for related, ids in wanted.items():
            self.terms[related] = {obj.pk: str(obj) for obj in related._default_manager.filter(pk__in=ids)}

    def show(self, model_field: models.Field[Any, Any], value: Any) -> str:
        if value is None or value == "":
            return "—"
        if model_field.is_relation:
            related = model_field.related_model
            if related is Report:  # another report may be outside the reader's scope: never name it
                return "another report"
            return self.terms.get(cast(Any, related), {}).get(value, f"#{value}")
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if hasattr(model_field, "countries"):
            return str(_COUNTRY_NAMES.get(str(value), value))
        if isinstance(value, Decimal):
            return _number(value)
        if isinstance(value, dt.date | dt.time):
            return value.isoformat()
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in sorted(value.items())) or "—"
        return str(value)
