"""Input serializers of the reports API: the request bodies of writes and workflow transitions.

They only check the shape and types of a request and map it to the keyword arguments of the domain
services (:meth:`ReportChangesSerializer.service_input`); codes and labels of vocabularies, required
fields per form variant and every business rule are the services' (their errors are returned under
the same field names). The representations are in :mod:`apps.reports.api.serializers`.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..choices import (
    FormVariant,
    Genuineness,
    IdDocumentType,
    IdentifierType,
    LegalFollowUp,
    PartyKind,
    PartyRole,
    ReportKind,
    RouteRole,
    Sex,
)

PARTS = ("items", "route", "conveyances", "parties")
MAX_ROWS = 200  # per part: far above any real case, low enough to keep a request small
INT_MAX = 2**31 - 1  # the database's integer columns


def _code(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=200,
        allow_null=True,
        allow_blank=True,
        help_text=kwargs.pop("help_text", "A code, or the English label (any case)."),
        **kwargs,
    )


def _country(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=100, help_text="ISO 3166-1 alpha-2 code, or the English name (any case).", **kwargs
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class ItemInputSerializer(serializers.Serializer[Any]):
    """One kind of goods. The category may be left out when the type is given; the unit then defaults to the
    type's."""

    commodity_category = _code(required=False)
    commodity_type = _code(required=False)
    hs_code = serializers.CharField(
        max_length=20,
        allow_null=True,
        allow_blank=True,
        required=False,
        help_text="HS 2022 heading (2, 4 or 6 digits).",
    )
    description = serializers.CharField(max_length=4000, allow_blank=True, required=False)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=3)
    unit = _code(required=False, help_text="UN/ECE Rec 20 code (KGM, LTR, H87, STK ...) or its English label.")
    packages_count = serializers.IntegerField(min_value=0, max_value=INT_MAX, allow_null=True, required=False)
    estimated_value = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    currency = _code(required=False, help_text="ISO 4217 code.")
    brand = serializers.CharField(max_length=120, allow_blank=True, required=False)
    genuineness = serializers.ChoiceField(choices=Genuineness.choices, required=False)
    country_of_manufacture = _country(allow_blank=True, required=False)
    concealment_method = _code(required=False)
    concealment_detail = serializers.CharField(max_length=4000, allow_blank=True, required=False)
    attributes = serializers.DictField(required=False, help_text="Attributes the commodity type defines.")

    def validate_attributes(self, value: dict[str, Any]) -> dict[str, Any]:
        if _has_nul(value):
            raise serializers.ValidationError("Text may not contain NUL characters.")
        return value


class RouteStepInputSerializer(serializers.Serializer[Any]):
    """One country of the route; the order of the list is the order of the route."""

    role = serializers.ChoiceField(choices=RouteRole.choices)
    country = _country()
    place = serializers.CharField(max_length=120, allow_blank=True, required=False)
    unlocode = serializers.CharField(max_length=6, allow_blank=True, required=False, help_text="e.g. FRLEH.")


class ConveyanceInputSerializer(serializers.Serializer[Any]):
    transport_mode = _code(required=False)
    conveyance_type = _code(required=False)
    identifier_type = serializers.ChoiceField(choices=IdentifierType.choices, allow_blank=True, required=False)
    identifier = serializers.CharField(max_length=64, allow_blank=True, required=False)
    flag_country = _country(allow_blank=True, required=False)


class PartyInputSerializer(serializers.Serializer[Any]):
    """A person (with a name) or a company (with a company name)."""

    kind = serializers.ChoiceField(choices=PartyKind.choices, required=False)
    role = serializers.ChoiceField(choices=PartyRole.choices, required=False)
    family_name = serializers.CharField(max_length=120, allow_blank=True, required=False)
    given_names = serializers.CharField(max_length=120, allow_blank=True, required=False)
    birth_date = serializers.DateField(allow_null=True, required=False)
    nationality = _country(allow_blank=True, required=False)
    sex = serializers.ChoiceField(choices=Sex.choices, allow_blank=True, required=False)
    id_document_type = serializers.ChoiceField(choices=IdDocumentType.choices, allow_blank=True, required=False)
    id_document_number = serializers.CharField(max_length=64, allow_blank=True, required=False)
    id_document_country = _country(allow_blank=True, required=False)
    company_name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    registration_number = serializers.CharField(max_length=64, allow_blank=True, required=False)
    eori = serializers.CharField(max_length=20, allow_blank=True, required=False)
    company_country = _country(allow_blank=True, required=False)


class ReportChangesSerializer(serializers.Serializer[Any]):
    """Changes to a report: only the fields given are changed. Each part given (items, route, conveyances,
    parties) replaces the stored one as a whole; a part left out stays as it is."""

    national_reference = serializers.CharField(max_length=64, required=False, help_text="Your own case number.")
    kind = serializers.ChoiceField(choices=ReportKind.choices, required=False)
    form_variant = serializers.ChoiceField(choices=FormVariant.choices, required=False)
    seizure_date = serializers.DateField(required=False)
    seizure_time = serializers.TimeField(allow_null=True, required=False)
    country_of_seizure = _country(required=False)
    customs_office = serializers.CharField(max_length=160, allow_blank=True, required=False)
    place = serializers.CharField(max_length=200, allow_blank=True, required=False)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, allow_null=True, required=False
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, allow_null=True, required=False
    )
    location_type = _code(required=False)
    direction = _code(required=False)
    transport_mode = _code(required=False, help_text="UN/ECE Rec 19 code (0-9) or its English label.")
    conveyance_type = _code(required=False)
    detection_methods = serializers.ListField(child=_code(), max_length=50, required=False)
    selection_basis = _code(required=False)
    modus_operandi = serializers.CharField(
        max_length=10000, allow_blank=True, required=False, help_text="Free text; treated as personal data."
    )
    number_of_offenders = serializers.IntegerField(min_value=0, max_value=INT_MAX, allow_null=True, required=False)
    legal_follow_up = serializers.ChoiceField(choices=LegalFollowUp.choices, required=False)
    operation = serializers.CharField(
        max_length=40, allow_null=True, allow_blank=True, required=False, help_text="Joint operation code."
    )
    items: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=ItemInputSerializer(), required=False, max_length=MAX_ROWS, help_text="Replaces every item."
    )
    route: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=RouteStepInputSerializer(), required=False, max_length=MAX_ROWS, help_text="Replaces the route."
    )
    conveyances: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=ConveyanceInputSerializer(), required=False, max_length=MAX_ROWS, help_text="Replaces every conveyance."
    )
    parties: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=PartyInputSerializer(),
        required=False,
        max_length=MAX_ROWS,
        help_text="Replaces every party (personal data).",
    )

    def service_input(self) -> dict[str, Any]:
        """The validated request as keyword arguments of the report services: ``fields`` and one list per part
        (``None``: leave the part as it is)."""
        data = dict(self.validated_data)
        parts = {name: data.pop(name, None) for name in PARTS}
        for name in ("uuid", "reason", "free_text_checked"):
            data.pop(name, None)
        return {"fields": data, **parts}


# What a field left out of a whole report (POST, PUT) becomes. modus_operandi is personal and, like
# the parts, stays as it is when left out (a caller who may not see it cannot send it back).
_EMPTY: dict[str, Any] = {
    "kind": ReportKind.SEIZURE,
    "form_variant": FormVariant.FULL,
    "seizure_time": None,
    "customs_office": "",
    "place": "",
    "latitude": None,
    "longitude": None,
    "location_type": None,
    "direction": None,
    "transport_mode": None,
    "conveyance_type": None,
    "detection_methods": [],
    "selection_basis": None,
    "number_of_offenders": None,
    "legal_follow_up": LegalFollowUp.UNKNOWN,
    "operation": None,
}
_REQUIRED = ("national_reference", "seizure_date", "country_of_seizure")


class ReportWriteSerializer(ReportChangesSerializer):
    """A whole report: fields left out are emptied; each part given replaces the stored one, a part (or the
    modus operandi) left out stays as it is."""

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields = super().get_fields()
        for name in _REQUIRED:
            fields[name].required = True
        for name, empty in _EMPTY.items():
            fields[name].default = empty
        return fields


class ReportCreateSerializer(ReportWriteSerializer):
    """A report pushed in: created as a draft, or, if your administration already has it (same ``uuid``, else
    same national reference), that report is updated."""

    uuid = serializers.UUIDField(
        required=False, help_text="The report's global identity, if your system already gave it one."
    )


FREE_TEXT_CHECKED_HELP = (
    "You read this version's free text (place, customs office, item descriptions, brands, attributes, route "
    "places) and it holds no personal data: partners without personal data may then receive it. Default false."
)


class ReportCorrectionSerializer(ReportChangesSerializer):
    """A correction of an approved report: the changes and why (a new approved version)."""

    reason = serializers.CharField(max_length=4000, help_text="Why the report is corrected.")
    free_text_checked = serializers.BooleanField(required=False, default=False, help_text=FREE_TEXT_CHECKED_HELP)


class CommentSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(max_length=4000, allow_blank=True, required=False)


class ApproveSerializer(CommentSerializer):
    free_text_checked = serializers.BooleanField(required=False, default=False, help_text=FREE_TEXT_CHECKED_HELP)


class ReturnSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(max_length=4000, help_text="What needs correcting.")


class WithdrawSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=4000, help_text="Why the report is withdrawn.")


class MarkDuplicateSerializer(serializers.Serializer[Any]):
    of = serializers.UUIDField(help_text="The uuid of the report this one duplicates.")
    comment = serializers.CharField(max_length=4000, allow_blank=True, required=False)
