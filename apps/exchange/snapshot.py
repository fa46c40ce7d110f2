"""The immutable snapshot of a report an outbox event carries, and the catalogue of its fields.

A snapshot is a JSON-able dict: an envelope (report UUID, version, status, origin, duplicate
flag, provenance) and five sections — ``report``, ``items``, ``route``, ``conveyances``,
``parties`` — holding codes rather than database ids. ``personal`` lists, per section, the keys
that hold personal data according to the reports app's ``PERSONAL_FIELDS`` catalogue; a key the
catalogue does not declare non-personal counts as personal (fail closed). Staff identities
(who created or approved a report) are never part of a snapshot.

``free_text_checked`` says whether the analyst who approved (or corrected) this version ticked
"Free text checked: no personal data": only then may a policy without personal data carry the
reviewable free text (``REVIEWABLE_FREE_TEXT`` of the reports app). A snapshot without the key
(written before the check existed) counts as unchecked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models

from apps.core import personal
from apps.core.caches import process_cache_register
from apps.reference.models import DetectionMethod
from apps.reference.selectors import term_codes
from apps.reports import catalogue
from apps.reports.choices import Transition
from apps.reports.models import Report, ReviewEvent
from apps.reports.profiles import age_band
from apps.tenancy.models import Administration, Region

from .choices import EventType
from .models import ReportProvenance

SCHEMA = "rilo.report-snapshot/1"

# The sections, each a part of a report in the field catalogue (apps.reports.catalogue), by its wire key.
SECTIONS: tuple[str, ...] = tuple(catalogue.part(name).wire_key for name in ("report", *catalogue.ROW_PARTS))
SECTION_MODELS: dict[str, type[models.Model]] = {
    section: catalogue.part_by_wire_key(section).model for section in SECTIONS
}
# Derived keys, not model fields, and what they hold.
DERIVED_NON_PERSONAL: dict[str, frozenset[str]] = {
    "report": frozenset({"region"}),
    "parties": frozenset({"age_band"}),
}
# Where each derived key goes: after the key it is derived beside.
_DERIVED_AFTER: dict[str, dict[str, str]] = {"report": {"administration": "region"}, "parties": {"role": "age_band"}}


def _section_keys(section: str) -> tuple[str, ...]:
    keys: list[str] = []
    for name in catalogue.names(catalogue.part_by_wire_key(section).name, editable=None, shared=True):
        keys.append(name)
        if name in _DERIVED_AFTER.get(section, {}):
            keys.append(_DERIVED_AFTER[section][name])
    return tuple(keys)


# The keys of each section, in order: the catalogue's shared fields, and the derived keys.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {section: _section_keys(section) for section in SECTIONS}

# What a sharing policy may generalise a field to, by the field's ``generalise`` tag in the catalogue.
GENERALISATION_OF: dict[str, str] = {"date": "month", "place": "country", "quantity": "bucket"}


@dataclass(frozen=True)
class FieldInfo:
    """A field path of the snapshot: whether it is personal and what it can be generalised to."""

    path: str
    personal: bool
    generalisations: frozenset[str]
    # Personal free text a policy without personal data may carry once the approving analyst checked it.
    reviewable: bool = False
    # The generalisation a policy without personal data always applies ("" for none).
    forced: str = ""

    @property
    def shareable_without_personal_data(self) -> bool:
        """Whether a policy without personal data may name this field (possibly checked or generalised)."""
        return not self.personal or self.reviewable or bool(self.forced)


def is_personal(section: str, key: str) -> bool:
    """Whether ``key`` of ``section`` holds personal data, per the reports app's catalogue (fail closed).

    A key the catalogue does not explicitly declare non-personal counts as personal.
    """
    if key in DERIVED_NON_PERSONAL.get(section, frozenset()):
        return False
    model = SECTION_MODELS[section]
    return personal.is_personal(model, key) or key not in personal.non_personal_fields(model)


def is_never_shared_without_personal_data(section: str, key: str) -> bool:
    """Whether ``key`` of ``section`` may never reach a partner without personal data, whatever a reviewer
    checked: personal, and not free text a reviewer can clear (what the payload scanner looks for)."""
    return is_personal(section, key) and not is_reviewable(section, key)


def is_reviewable(section: str, key: str) -> bool:
    """Whether ``key`` of ``section`` is personal free text that a reviewer's check clears for partners
    without personal data (the reports app's ``REVIEWABLE_FREE_TEXT``)."""
    return key in personal.reviewable_free_text(SECTION_MODELS[section])


@cache
def field_catalogue() -> dict[str, FieldInfo]:
    """Every field path a sharing policy may allow, e.g. ``"items.quantity"`` (computed once: static)."""
    generalised = {tag: catalogue.generalised(tag) for tag in GENERALISATION_OF}
    forced = catalogue.generalised_without_personal_data()
    infos = {}
    for section, keys in SECTION_FIELDS.items():
        for key in keys:
            path = f"{section}.{key}"
            allowed = frozenset(GENERALISATION_OF[tag] for tag, paths in generalised.items() if path in paths)
            infos[path] = FieldInfo(
                path=path,
                personal=is_personal(section, key),
                generalisations=allowed,
                reviewable=is_reviewable(section, key),
                # What a policy without personal data always does to the field, whatever it says.
                forced=next(iter(allowed)) if path in forced else "",
            )
    return infos


process_cache_register("exchange.snapshot.field_catalogue", field_catalogue.cache_clear)


@cache
def _personal_keys() -> dict[str, tuple[str, ...]]:
    return {
        section: tuple(key for key in keys if is_personal(section, key)) for section, keys in SECTION_FIELDS.items()
    }


process_cache_register("exchange.snapshot.personal_keys", _personal_keys.cache_clear)


def personal_keys() -> dict[str, list[str]]:
    """Per section, the snapshot keys holding personal data."""
    return {section: list(keys) for section, keys in _personal_keys().items()}


def _value(value: Any) -> Any:
    """A JSON-able value: vocabulary terms by code, countries by ISO code, decimals as strings."""
    if value is None:
        return None
    if isinstance(value, models.Model):
        return getattr(value, "code", None) or str(value.pk)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    code = getattr(value, "code", None)  # django-countries Country
    if code is not None and not isinstance(value, str | int):
        return code or None
    if value == "":
        return None
    return value


@cache
def _term_keys(section: str) -> dict[str, type[models.Model]]:
    """The keys of ``section`` that name a term (a foreign key to a model with a code), and that model."""
    model = SECTION_MODELS[section]
    terms: dict[str, type[models.Model]] = {}
    for key in SECTION_FIELDS[section]:
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            continue  # derived
        related = field.related_model
        if field.many_to_one and isinstance(related, type):
            terms[key] = related
    return terms


process_cache_register("exchange.snapshot.term_keys", _term_keys.cache_clear)


@dataclass(frozen=True)
class _SectionSelect:
    """The SELECT of one section's stored fields (built once from the models) and Django's converters for them."""

    sql: str
    keys: tuple[str, ...]  # the section's keys the columns hold, in column order (terms as ids)
    converters: tuple[tuple[Any, ...], ...]
    field_list: tuple[models.Field[Any, Any], ...]

    def rows(self, cursor: Any, report_id: int) -> list[dict[str, Any]]:
        cursor.execute(self.sql, [report_id])
        return [self.convert(values) for values in cursor.fetchall()]

    def convert(self, values: Sequence[Any]) -> dict[str, Any]:
        row = {}
        for key, value, converters, field in zip(self.keys, values, self.converters, self.field_list, strict=True):
            for converter in converters:
                value = converter(value, field, connection)
            row[key] = value
        return row


# The order a section's rows are read in: the order of the forms and of the report's page.
_ORDER = {"items": "position, id", "route": "sequence, id", "conveyances": "id", "parties": "position, id"}
# Columns the report's query reads besides its section fields: the envelope and the derived keys.
_REPORT_EXTRA = ("uuid", "version", "status", "duplicate_of_id")


@cache
def _section_select(section: str) -> _SectionSelect:
    model = SECTION_MODELS[section]
    quote = connection.ops.quote_name
    fields: list[models.Field[Any, Any]] = []
    keys: list[str] = []
    for key in SECTION_FIELDS[section]:
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            continue  # derived
        if field.concrete and not field.many_to_many:
            fields.append(field)  # type: ignore[arg-type]
            keys.append(key)
    if section == "report":
        for name in _REPORT_EXTRA:
            field = model._meta.get_field(name.removesuffix("_id"))
            fields.append(field)  # type: ignore[arg-type]
            keys.append(name)
    columns = ", ".join(quote(field.column) for field in fields)
    table = quote(model._meta.db_table)
    if section == "report":
        sql = f"SELECT {columns} FROM {table} WHERE id = %s"  # noqa: S608 (names from the models)
    else:
        sql = f"SELECT {columns} FROM {table} WHERE report_id = %s ORDER BY {_ORDER[section]}"  # noqa: S608
    converters = tuple(tuple(field.get_col(model._meta.db_table).get_db_converters(connection)) for field in fields)
    return _SectionSelect(sql=sql, keys=tuple(keys), converters=converters, field_list=tuple(fields))


process_cache_register("exchange.snapshot.section_select", _section_select.cache_clear)


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


_ENVELOPE = f"""
    SELECT a.code, g.code,
           (SELECT p.source_partner_id FROM {_table(ReportProvenance)} p WHERE p.report_id = %(report)s),
           (SELECT d.uuid FROM {_table(Report)} d WHERE d.id = %(duplicate_of)s),
           ARRAY(SELECT m.detectionmethod_id FROM {_table(Report.detection_methods.through)} m
                  WHERE m.report_id = %(report)s),
           (SELECT e.free_text_checked FROM {_table(ReviewEvent)} e
             WHERE e.report_id = %(report)s AND e.version = %(version)s AND e.transition IN (%(approve)s, %(correct)s)
             ORDER BY e.at DESC, e.id DESC LIMIT 1)
    FROM {_table(Administration)} a JOIN {_table(Region)} g ON g.id = a.region_id
    WHERE a.id = %(administration)s
"""  # noqa: S608 (table names from the models)


def _row(
    section: str, values: dict[str, Any], extra: dict[str, Any], codes: dict[type[models.Model], dict[int, str]]
) -> dict[str, Any]:
    terms = _term_keys(section)
    row = {}
    for key in SECTION_FIELDS[section]:
        if key in extra:
            row[key] = extra[key]
        elif key in terms:
            term_id = values[key]
            row[key] = None if term_id is None else codes[terms[key]].get(term_id) or str(term_id)
        else:
            row[key] = _value(values[key])
    return row


def build_snapshot(report: Report, *, event_type: str, event_uuid: str, at: dt.datetime) -> dict[str, Any]:
    """The JSON-able snapshot of ``report`` (read fresh from the database) for an outbox event.

    This runs inside every approval, so it reads with plain SELECTs built once from the models
    (one per part, values converted by Django's own converters) rather than querysets compiled
    on each call: with querysets (one per part, the envelope as subqueries) the exchange benchmark
    approved half as many reports per second, its driver spending twice the CPU per approval
    (measured one after the other on the same machine). Terms are named by their codes through
    :func:`apps.reference.selectors.term_codes`, which reads only codes this process has not seen.
    """
    with connection.cursor() as cursor:
        [current] = _section_select("report").rows(cursor, report.pk)
        parts = {
            section: _section_select(section).rows(cursor, report.pk)
            for section in ("items", "route", "conveyances", "parties")
        }
        cursor.execute(
            _ENVELOPE,
            {
                "report": report.pk,
                "administration": current["administration"],  # its id, as stored
                "duplicate_of": current["duplicate_of_id"],
                "version": current["version"],
                "approve": Transition.APPROVE.value,
                "correct": Transition.CORRECT.value,
            },
        )
        administration, region, source_partner_id, duplicate_of, methods, free_text_checked = cursor.fetchone()
    wanted: dict[type[models.Model], set[int]] = {DetectionMethod: set(methods)}
    for section, rows in [("report", [current]), *parts.items()]:
        for key, model in _term_keys(section).items():
            if section != "report" or key != "administration":  # its code comes with the envelope
                wanted.setdefault(model, set()).update(row[key] for row in rows)
    codes = term_codes(wanted)
    extra = {
        "administration": administration,
        "region": region,
        "detection_methods": sorted(codes[DetectionMethod][pk] for pk in methods),
    }
    return {
        "schema": SCHEMA,
        "event": {"uuid": event_uuid, "type": event_type, "at": at.isoformat()},
        "report_uuid": str(current["uuid"]),
        "version": current["version"],
        "status": current["status"],
        "withdrawn": event_type == EventType.WITHDRAWN,
        "duplicate_of": str(duplicate_of) if duplicate_of else None,
        "source_partner_id": source_partner_id,
        "free_text_checked": bool(free_text_checked),
        "report": _row("report", current, extra, codes),
        "items": [_row("items", item, {}, codes) for item in parts["items"]],
        "route": [_row("route", step, {}, codes) for step in parts["route"]],
        "conveyances": [_row("conveyances", conveyance, {}, codes) for conveyance in parts["conveyances"]],
        "parties": [
            _row("parties", party, {"age_band": age_band(party["birth_date"], on=current["seizure_date"])}, codes)
            for party in parts["parties"]
        ],
        "personal": personal_keys(),
    }
