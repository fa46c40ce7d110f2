"""Output serializers of the reports API (the request bodies are in :mod:`apps.reports.api.inputs`).

They render what the selectors returned; personal values appear only when the caller may see them on that report
(``context["personal"]``), else they are null.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from apps.accounts.api.serializers import AdministrationRefSerializer

from ..choices import (
    AgeBand,
    FormVariant,
    Genuineness,
    LegalFollowUp,
    PartyKind,
    PartyRole,
    ReportKind,
    ReportStatus,
    RouteRole,
    Sex,
)
from ..models import Party, Report
from ..profiles import PartyProfile, party_profile, profile_of_row, without_person_attributes

# --- output ------------------------------------------------------------------------------------------
# The declared fields document the representation (OpenAPI); ``represent`` builds it straight from
# the loaded rows, for speed: a page of a hundred reports with their parts is thousands of values,
# too many to go through a field object each (tests/api check that both name the same keys).
# A report comes either as a model instance with its related rows (a report's own page, from the
# domain selectors), or as a row of values a list loaded (see apps.reports.api.listing), what it
# shows already in this shape as JSON.


def code(row: Any, name: str) -> str | None:
    """The code of the term a foreign key names."""
    term = getattr(row, name)
    return None if term is None else term.code  # type: ignore[no-any-return]


def country(row: Any, name: str) -> str | None:
    value = row.__dict__[name]  # the stored code (CountryField's descriptor would build a Country object)
    return str(getattr(value, "code", value) or "") or None


def decimal(value: Any) -> str | None:
    return None if value is None else str(value)


def day(value: dt.date | dt.time | None) -> str | None:
    return None if value is None else value.isoformat()


def moment(value: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """As DRF renders date-times: in the current time zone, UTC as ``Z``."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def moment_text(text: str | None, zone: dt.tzinfo) -> str | None:
    """A date-time PostgreSQL wrote in JSON (in UTC, the connection's zone), as :func:`moment` writes it."""
    if text is None:
        return None
    if text.endswith("+00:00") and zone.utcoffset(None) == dt.timedelta(0):
        whole, _, fraction = text[:-6].partition(".")
        return f"{whole}.{fraction:0<6}Z" if fraction else f"{whole}Z"  # PostgreSQL drops trailing zeros
    return moment(dt.datetime.fromisoformat(text), zone)


class PartRowSerializer(serializers.Serializer[Any]):
    """A row of a report's part (a model instance), built by :meth:`represent`."""

    def to_representation(self, row: Any) -> dict[str, Any]:
        return self.represent(row, personal=bool(self.context.get("personal")))

    @classmethod
    def represent(cls, row: Any, *, personal: bool) -> dict[str, Any]:
        raise NotImplementedError


_CODE: dict[str, Any] = {"allow_null": True, "help_text": "Code of the term."}
_COUNTRY: dict[str, Any] = {"allow_null": True, "help_text": "ISO 3166-1 alpha-2 code."}
_PERSONAL = "(personal data): null unless you may see it on this report."


class ItemSerializer(PartRowSerializer):
    """One kind of goods seized."""

    position = serializers.IntegerField()
    commodity_category = serializers.CharField(**_CODE)
    commodity_type = serializers.CharField(**_CODE)
    hs_code = serializers.CharField(**_CODE)
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=18, decimal_places=3)
    unit = serializers.CharField(**_CODE)
    normalised_quantity = serializers.DecimalField(
        max_digits=24,
        decimal_places=6,
        allow_null=True,
        help_text="The quantity in kg, litres, sticks or pieces (see normalised_dimension), for totals.",
    )
    normalised_dimension = serializers.CharField(help_text="mass, volume, count, sticks, or empty.")
    packages_count = serializers.IntegerField(allow_null=True)
    estimated_value = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    currency = serializers.CharField(**_CODE)
    brand = serializers.CharField()
    genuineness = serializers.ChoiceField(choices=Genuineness.choices)
    country_of_manufacture = serializers.CharField(**_COUNTRY)
    concealment_method = serializers.CharField(**_CODE)
    concealment_detail = serializers.CharField(allow_null=True, help_text=f"Free text {_PERSONAL}")
    attributes = serializers.DictField(help_text="Commodity-specific attributes (purity, sticks, species, ...).")

    @classmethod
    def represent(cls, item: Any, *, personal: bool) -> dict[str, Any]:
        return {
            "position": item.position,
            "commodity_category": code(item, "commodity_category"),
            "commodity_type": code(item, "commodity_type"),
            "hs_code": code(item, "hs_code"),
            "description": item.description,
            "quantity": decimal(item.quantity),
            "unit": code(item, "unit"),
            "normalised_quantity": decimal(item.normalised_quantity),
            "normalised_dimension": item.normalised_dimension,
            "packages_count": item.packages_count,
            "estimated_value": decimal(item.estimated_value),
            "currency": code(item, "currency"),
            "brand": item.brand,
            "genuineness": item.genuineness,
            "country_of_manufacture": country(item, "country_of_manufacture"),
            "concealment_method": code(item, "concealment_method"),
            "concealment_detail": item.concealment_detail if personal else None,
            "attributes": item.attributes,
        }


class RouteStepSerializer(PartRowSerializer):
    """One country of the goods' route, in order."""

    sequence = serializers.IntegerField()
    role = serializers.ChoiceField(choices=RouteRole.choices)
    country = serializers.CharField(**_COUNTRY)
    place = serializers.CharField()
    unlocode = serializers.CharField()

    @classmethod
    def represent(cls, step: Any, *, personal: bool) -> dict[str, Any]:
        return {
            "sequence": step.sequence,
            "role": step.role,
            "country": country(step, "country"),
            "place": step.place,
            "unlocode": step.unlocode,
        }


class ConveyanceSerializer(PartRowSerializer):
    """A means of transport involved."""

    transport_mode = serializers.CharField(**_CODE)
    conveyance_type = serializers.CharField(**_CODE)
    identifier_type = serializers.CharField(help_text="imo, flight, plate, container, awb, postal, other, or empty.")
    identifier = serializers.CharField(allow_null=True, help_text=f"Plate, flight, container number... {_PERSONAL}")
    flag_country = serializers.CharField(**_COUNTRY)

    @classmethod
    def represent(cls, conveyance: Any, *, personal: bool) -> dict[str, Any]:
        return {
            "transport_mode": code(conveyance, "transport_mode"),
            "conveyance_type": code(conveyance, "conveyance_type"),
            "identifier_type": conveyance.identifier_type,
            "identifier": conveyance.identifier if personal else None,
            "flag_country": country(conveyance, "flag_country"),
        }


_PARTY_PERSONAL = (
    "family_name",
    "given_names",
    "birth_date",
    "id_document_type",
    "id_document_number",
    "id_document_country",
    "company_name",
    "registration_number",
    "eori",
    "company_country",
)


class PartySerializer(serializers.Serializer[Any]):
    """A person or company involved. Kind and role are shown to whoever sees the report; nationality, sex and
    age band (derived from the person's data), names, birth date, documents and company details are null unless
    the caller may see this report's personal data (as its web page shows parties only to such a caller)."""

    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=PartyKind.choices)
    role = serializers.ChoiceField(choices=PartyRole.choices)
    nationality = serializers.CharField(**_COUNTRY)
    sex = serializers.ChoiceField(choices=Sex.choices, allow_null=True)
    age_band = serializers.ChoiceField(
        choices=AgeBand.choices, allow_null=True, help_text="Age at the seizure (persons with a known birth date)."
    )
    family_name = serializers.CharField(allow_null=True)
    given_names = serializers.CharField(allow_null=True)
    birth_date = serializers.DateField(allow_null=True)
    id_document_type = serializers.CharField(allow_null=True)
    id_document_number = serializers.CharField(allow_null=True)
    id_document_country = serializers.CharField(**_COUNTRY)
    company_name = serializers.CharField(allow_null=True)
    registration_number = serializers.CharField(allow_null=True)
    eori = serializers.CharField(allow_null=True)
    company_country = serializers.CharField(**_COUNTRY)

    @staticmethod
    def represent(party: Party | PartyProfile, *, on: dt.date, personal: bool) -> dict[str, Any]:
        """A profile (what anyone who sees the report may know); the personal values too when ``personal`` and
        the party is whole (read through the gated, audited selector)."""
        profile = party if isinstance(party, PartyProfile) else party_profile(party, on=on)
        row: dict[str, Any] = {
            "position": profile.position,
            "kind": profile.kind,
            "role": profile.role,
            "nationality": profile.nationality,
            "sex": profile.sex,
            "age_band": profile.age_band,
            **dict.fromkeys(_PARTY_PERSONAL),
        }
        if personal and isinstance(party, Party):
            row.update(
                {name: getattr(party, name) or None for name in _PARTY_PERSONAL},
                birth_date=day(party.birth_date),
                id_document_country=country(party, "id_document_country"),
                company_country=country(party, "company_country"),
            )
        return row


def _administration(report: Report) -> dict[str, Any]:
    row = report.administration
    return {"code": row.code, "name": row.name, "country": country(row, "country")}


class ReportSerializer(serializers.Serializer[Any]):
    """A seizure or offence report, with its items, route, conveyances and parties.

    Personal values (modus operandi, concealment details, conveyance identifiers, parties' identities)
    are included only when ``personal_data`` is true: on a report's own page for a caller who may
    see them (each such read is recorded in the audit log). Lists never include them.
    """

    uuid = serializers.UUIDField(read_only=True)
    national_reference = serializers.CharField()
    administration = AdministrationRefSerializer()
    status = serializers.ChoiceField(choices=ReportStatus.choices)
    version = serializers.IntegerField(help_text="Increments with every approved change.")
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    form_variant = serializers.ChoiceField(choices=FormVariant.choices)
    seizure_date = serializers.DateField()
    seizure_time = serializers.TimeField(allow_null=True)
    country_of_seizure = serializers.CharField(**_COUNTRY)
    customs_office = serializers.CharField()
    place = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    location_type = serializers.CharField(**_CODE)
    direction = serializers.CharField(**_CODE)
    transport_mode = serializers.CharField(**_CODE)
    conveyance_type = serializers.CharField(**_CODE)
    detection_methods = serializers.ListField(child=serializers.CharField(), help_text="Codes.")
    selection_basis = serializers.CharField(**_CODE)
    modus_operandi = serializers.CharField(allow_null=True, help_text=f"Free text {_PERSONAL}")
    number_of_offenders = serializers.IntegerField(allow_null=True)
    legal_follow_up = serializers.ChoiceField(choices=LegalFollowUp.choices)
    operation = serializers.CharField(allow_null=True, help_text="Code of the joint operation, if any.")
    duplicate_of = serializers.UUIDField(allow_null=True, help_text="The report this one duplicates.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    personal_data = serializers.BooleanField(help_text="Whether personal values are included.")
    items = ItemSerializer(many=True)
    route = RouteStepSerializer(many=True)
    conveyances = ConveyanceSerializer(many=True)
    parties = PartySerializer(many=True)

    def to_representation(self, report: Any) -> dict[str, Any]:
        """A report from the domain selectors, with ``context["personal"]`` (include personal values) and
        ``context["parties"]`` (its parties as the gated selector returned them); or a row as a list loaded it."""
        if isinstance(report, dict):
            person_attributes = report["id"] in self.context.get("person_attributes", ())
            return self.represent_listed(report, person_attributes=person_attributes)
        personal = bool(self.context.get("personal"))
        zone = timezone.get_current_timezone()
        items, route, conveyances = report.items.all(), report.route.all(), report.conveyances.all()
        parties = self.context["parties"]
        return {
            "uuid": str(report.uuid),
            "national_reference": report.national_reference,
            "administration": _administration(report),
            "status": report.status,
            "version": report.version,
            "kind": report.kind,
            "form_variant": report.form_variant,
            "seizure_date": day(report.seizure_date),
            "seizure_time": day(report.seizure_time),
            "country_of_seizure": country(report, "country_of_seizure"),
            "customs_office": report.customs_office,
            "place": report.place,
            "latitude": decimal(report.latitude),
            "longitude": decimal(report.longitude),
            "location_type": code(report, "location_type"),
            "direction": code(report, "direction"),
            "transport_mode": code(report, "transport_mode"),
            "conveyance_type": code(report, "conveyance_type"),
            "detection_methods": [method.code for method in report.detection_methods.all()],
            "selection_basis": code(report, "selection_basis"),
            "modus_operandi": report.modus_operandi if personal else None,
            "number_of_offenders": report.number_of_offenders,
            "legal_follow_up": report.legal_follow_up,
            "operation": code(report, "operation"),
            "duplicate_of": None if report.duplicate_of is None else str(report.duplicate_of.uuid),
            "submitted_at": moment(report.submitted_at, zone),
            "approved_at": moment(report.approved_at, zone),
            "created_at": moment(report.created_at, zone),
            "updated_at": moment(report.updated_at, zone),
            "personal_data": personal,
            "items": [ItemSerializer.represent(row, personal=personal) for row in items],
            "route": [RouteStepSerializer.represent(row, personal=personal) for row in route],
            "conveyances": [ConveyanceSerializer.represent(row, personal=personal) for row in conveyances],
            "parties": [PartySerializer.represent(row, on=report.seizure_date, personal=personal) for row in parties],
        }

    @staticmethod
    def represent_listed(listed: dict[str, Any], *, person_attributes: bool) -> dict[str, Any]:
        """A report as a list loads it (see apps.reports.api.listing): its ``representation`` already in this shape
        (terms as codes by then), but for the time zone of date-times and the parties' profiles (with nationality,
        sex and age band only if ``person_attributes``: the caller may see this report's personal data)."""
        report = listed["representation"]
        zone = timezone.get_current_timezone()
        for name in ("submitted_at", "approved_at", "created_at", "updated_at"):
            report[name] = moment_text(report[name], zone)
        on = listed["seizure_date"]
        profiles = [profile_of_row(party, on=on) for party in report["parties"]]
        if not person_attributes:
            profiles = [without_person_attributes(profile) for profile in profiles]
        report["parties"] = [PartySerializer.represent(profile, on=on, personal=False) for profile in profiles]
        return report  # type: ignore[no-any-return]
