"""The immutable snapshot of a report an outbox event carries, and the catalogue of its fields.

A snapshot is a JSON-able dict: an envelope (report UUID, version, status, origin, duplicate
flag, provenance) and five sections — ``report``, ``items``, ``route``, ``conveyances``,
``parties`` — holding codes rather than database ids. ``personal`` lists, per section, the keys
that hold personal data according to the reports app's ``PERSONAL_FIELDS`` catalogue; a key the
catalogue does not declare non-personal counts as personal (fail closed). Staff identities
(who created or approved a report) are never part of a snapshot.
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
from apps.reference.models import DetectionMethod
from apps.reference.selectors import term_codes
from apps.reports.models import Conveyance, Party, Report, ReportItem, RouteCountry
from apps.reports.profiles import age_band

from .choices import EventType

SCHEMA = "rilo.report-snapshot/1"

SECTION_MODELS: dict[str, type[models.Model]] = {
    "report": Report,
    "items": ReportItem,
    "route": RouteCountry,
    "conveyances": Conveyance,
    "parties": Party,
}

# The keys of each section, in order. ``region`` (report) and ``age_band`` (parties) are derived.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "report": (
        "kind",
        "form_variant",
        "national_reference",
        "administration",
        "region",
        "country_of_seizure",
        "seizure_date",
        "seizure_time",
        "customs_office",
        "place",
        "latitude",
        "longitude",
        "location_type",
        "direction",
        "transport_mode",
        "conveyance_type",
        "detection_methods",
        "selection_basis",
        "modus_operandi",
        "number_of_offenders",
        "legal_follow_up",
        "operation",
        "approved_at",
    ),
    "items": (
        "position",
        "commodity_category",
        "commodity_type",
        "hs_code",
        "description",
        "quantity",
        "unit",
        "normalised_quantity",
        "normalised_dimension",
        "packages_count",
        "estimated_value",
        "currency",
        "brand",
        "genuineness",
        "country_of_manufacture",
        "concealment_method",
        "concealment_detail",
        "attributes",
    ),
    "route": ("sequence", "role", "country", "place", "unlocode"),
    "conveyances": ("transport_mode", "conveyance_type", "identifier_type", "identifier", "flag_country"),
    "parties": (
        "position",
        "kind",
        "role",
        "age_band",
        "family_name",
        "given_names",
        "birth_date",
        "nationality",
        "sex",
        "id_document_type",
        "id_document_number",
        "id_document_country",
        "company_name",
        "registration_number",
        "eori",
        "company_country",
    ),
}
# Derived keys, not model fields, and what they hold.
DERIVED_NON_PERSONAL: dict[str, frozenset[str]] = {
    "report": frozenset({"region"}),
    "parties": frozenset({"age_band"}),
}

DATE_FIELDS = frozenset({"report.seizure_date", "report.approved_at", "parties.birth_date"})
PLACE_FIELDS = frozenset({"report.place", "report.customs_office", "route.place", "route.unlocode"})
QUANTITY_FIELDS = frozenset(
    {"items.quantity", "items.normalised_quantity", "items.estimated_value", "items.packages_count"}
)


@dataclass(frozen=True)
class FieldInfo:
    """A field path of the snapshot: whether it is personal and what it can be generalised to."""

    path: str
    personal: bool
    generalisations: frozenset[str]


def is_personal(section: str, key: str) -> bool:
    """Whether ``key`` of ``section`` holds personal data, per the reports app's catalogue (fail closed).

    A key the catalogue does not explicitly declare non-personal counts as personal.
    """
    if key in DERIVED_NON_PERSONAL.get(section, frozenset()):
        return False
    model = SECTION_MODELS[section]
    return personal.is_personal(model, key) or key not in personal.non_personal_fields(model)


@cache
def field_catalogue() -> dict[str, FieldInfo]:
    """Every field path a sharing policy may allow, e.g. ``"items.quantity"`` (computed once: static)."""
    catalogue = {}
    for section, keys in SECTION_FIELDS.items():
        for key in keys:
            path = f"{section}.{key}"
            allowed = set()
            if path in DATE_FIELDS:
                allowed.add("month")
            if path in PLACE_FIELDS:
                allowed.add("country")
            if path in QUANTITY_FIELDS:
                allowed.add("bucket")
            catalogue[path] = FieldInfo(
                path=path, personal=is_personal(section, key), generalisations=frozenset(allowed)
            )
    return catalogue


@cache
def _personal_keys() -> dict[str, tuple[str, ...]]:
    return {
        section: tuple(key for key in keys if is_personal(section, key)) for section, keys in SECTION_FIELDS.items()
    }


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


@dataclass(frozen=True)
class _Reader:
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
def _reader(section: str) -> _Reader:
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
    return _Reader(sql=sql, keys=tuple(keys), converters=converters, field_list=tuple(fields))


_ENVELOPE = """
    SELECT a.code, g.code,
           (SELECT p.source_partner_id FROM exchange_reportprovenance p WHERE p.report_id = %(report)s),
           (SELECT d.uuid FROM reports_report d WHERE d.id = %(duplicate_of)s),
           ARRAY(SELECT m.detectionmethod_id FROM reports_report_detection_methods m WHERE m.report_id = %(report)s)
    FROM tenancy_administration a JOIN tenancy_region g ON g.id = a.region_id
    WHERE a.id = %(administration)s
"""


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
    on each call, and names terms by their codes through
    :func:`apps.reference.selectors.term_codes`, which reads only codes this process has not seen.
    """
    with connection.cursor() as cursor:
        [current] = _reader("report").rows(cursor, report.pk)
        parts = {
            section: _reader(section).rows(cursor, report.pk)
            for section in ("items", "route", "conveyances", "parties")
        }
        cursor.execute(
            _ENVELOPE,
            {
                "report": report.pk,
                "administration": current["administration"],  # its id, as stored
                "duplicate_of": current["duplicate_of_id"],
            },
        )
        administration, region, source_partner_id, duplicate_of, methods = cursor.fetchone()
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
