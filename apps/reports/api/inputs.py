"""Input serializers of the reports API: the request bodies of writes and workflow transitions.

They only check the shape and types of a request and map it to the keyword arguments of the domain
services (:meth:`ReportChangesSerializer.service_input`); codes and labels of vocabularies, required
fields per form variant and every business rule are the services' (their errors are returned under
the same field names). The representations are in :mod:`apps.reports.api.serializers`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.core.api.fields import AnyLanguageDecimalField, AnyLanguageIntegerField

from .. import catalogue
from .serializers import from_catalogue

PARTS = tuple(catalogue.part(name).wire_key for name in catalogue.ROW_PARTS)
LONG_TEXT = 4000  # free text of a row (descriptions, concealment details)
MAX_ROWS = 200  # per part: far above any real case, low enough to keep a request small
INT_MAX = 2**31 - 1  # the database's integer columns


def _code(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=200,
        allow_null=True,
        allow_blank=True,
        help_text=kwargs.pop("help_text", _("A code, or the English label (any case).")),
        **kwargs,
    )


def _country(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=100, help_text=_("ISO 3166-1 alpha-2 code, or the English name (any case)."), **kwargs
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _input_field(spec: catalogue.Field) -> serializers.Field:  # type: ignore[type-arg]
    """The request field of a catalogue field, by its kind: types and sizes only (the services check the rest)."""
    model_field: Any = catalogue.part(spec.part).model._meta.get_field(spec.name)
    nullable = bool(getattr(model_field, "null", False))
    required = spec.required and spec.part != "report"  # a report's required fields: see ReportWriteSerializer
    options: dict[str, Any] = {"required": required}
    if spec.help_text and spec.kind not in ("term", "country"):
        options["help_text"] = str(spec.help_text)
    kind = spec.kind
    if kind == "term":
        return _code(**options)
    if kind == "terms":
        return serializers.ListField(child=_code(), max_length=50, **options)
    if kind == "hs_code":
        return serializers.CharField(
            max_length=20,
            allow_null=True,
            allow_blank=True,
            **options | {"help_text": "HS 2022 heading (2, 4 or 6 digits)."},
        )
    if kind == "operation":
        return serializers.CharField(
            max_length=40, allow_null=True, allow_blank=True, help_text=_("Joint operation code."), **options
        )
    if kind == "country":
        return _country(allow_blank=not spec.required, **options)
    if kind == "choice" and spec.choices is not None:
        blank = model_field.blank and not model_field.has_default()  # a blank choice takes the default
        return serializers.ChoiceField(choices=spec.choices.choices, allow_blank=blank, **options)
    if kind in ("text", "longtext"):
        max_length = (spec.max_length if kind == "text" else None) or LONG_TEXT
        return serializers.CharField(max_length=max_length, allow_blank=True, **options)
    if kind == "decimal":
        digits = {"max_digits": model_field.max_digits, "decimal_places": model_field.decimal_places}
        return AnyLanguageDecimalField(**digits, allow_null=nullable, **options)
    if kind == "integer":
        return AnyLanguageIntegerField(min_value=0, max_value=INT_MAX, allow_null=nullable, **options)
    if kind == "attributes":
        return serializers.DictField(**options)
    fields: dict[str, type[serializers.Field]] = {"date": serializers.DateField, "time": serializers.TimeField}  # type: ignore[type-arg]
    return fields[kind](allow_null=nullable, **options)


def _inputs(part: str) -> Any:
    return from_catalogue(part, factory=_input_field, editable=True)


@_inputs("item")
class ItemInputSerializer(serializers.Serializer[Any]):
    """One kind of goods. The category may be left out when the type is given; the unit then defaults to the
    type's."""

    commodity_category = _code(required=False)
    unit = _code(required=False, help_text=_("UN/ECE Rec 20 code (KGM, LTR, H87, STK ...) or its English label."))
    estimated_value = AnyLanguageDecimalField(
        max_digits=16, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    currency = _code(required=False, help_text=_("ISO 4217 code."))
    attributes = serializers.DictField(required=False, help_text=_("Attributes the commodity type defines."))

    def validate_attributes(self, value: dict[str, Any]) -> dict[str, Any]:
        if _has_nul(value):
            raise serializers.ValidationError(_("Text may not contain NUL characters."))
        return value


@_inputs("route")
class RouteStepInputSerializer(serializers.Serializer[Any]):
    """One country of the route; the order of the list is the order of the route."""

    unlocode = serializers.CharField(max_length=6, allow_blank=True, required=False, help_text=_("e.g. FRLEH."))


@_inputs("conveyance")
class ConveyanceInputSerializer(serializers.Serializer[Any]):
    """A means of transport."""


@_inputs("party")
class PartyInputSerializer(serializers.Serializer[Any]):
    """A person (with a name) or a company (with a company name)."""

    eori = serializers.CharField(max_length=20, allow_blank=True, required=False)


@_inputs("report")
class ReportChangesSerializer(serializers.Serializer[Any]):
    """Changes to a report: only the fields given are changed. Each part given (items, route, conveyances,
    parties) replaces the stored one as a whole; a part left out stays as it is."""

    national_reference = serializers.CharField(max_length=64, required=False, help_text=_("Your own case number."))
    latitude = AnyLanguageDecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, allow_null=True, required=False
    )
    longitude = AnyLanguageDecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, allow_null=True, required=False
    )
    transport_mode = _code(required=False, help_text=_("UN/ECE Rec 19 code (0-9) or its English label."))
    modus_operandi = serializers.CharField(
        max_length=10000, allow_blank=True, required=False, help_text=_("Free text; treated as personal data.")
    )
    items: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=ItemInputSerializer(), required=False, max_length=MAX_ROWS, help_text=_("Replaces every item.")
    )
    route: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=RouteStepInputSerializer(), required=False, max_length=MAX_ROWS, help_text=_("Replaces the route.")
    )
    conveyances: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=ConveyanceInputSerializer(),
        required=False,
        max_length=MAX_ROWS,
        help_text=_("Replaces every conveyance."),
    )
    parties: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=PartyInputSerializer(),
        required=False,
        max_length=MAX_ROWS,
        help_text=_("Replaces every party (personal data)."),
    )

    def service_input(self) -> dict[str, Any]:
        """The validated request as keyword arguments of the report services: ``fields`` and one list per part
        (``None``: leave the part as it is)."""
        data = dict(self.validated_data)
        parts = {name: data.pop(name, None) for name in PARTS}
        for name in ("uuid", "reason", "free_text_checked"):
            data.pop(name, None)
        return {"fields": data, **parts}


def _empty(spec: catalogue.Field) -> Any:
    if spec.kind == "choice":
        return catalogue.part("report").model._meta.get_field(spec.name).default  # type: ignore[union-attr]
    return {"text": "", "longtext": "", "terms": []}.get(spec.kind)


# What a field left out of a whole report (POST, PUT) becomes. The restricted personal fields (the modus
# operandi) like the parts stay as they are when left out (a caller who may not see them cannot send them back).
_EMPTY: dict[str, Any] = {
    spec.name: _empty(spec) for spec in catalogue.fields("report") if not spec.required and not spec.restricted
}
_REQUIRED = tuple(spec.name for spec in catalogue.fields("report") if spec.required)


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
        required=False, help_text=_("The report's global identity, if your system already gave it one.")
    )


FREE_TEXT_CHECKED_HELP = (
    "You read this version's free text (place, customs office, item descriptions, brands, attributes, route "
    "places) and it holds no personal data: partners without personal data may then receive it. Default false."
)


class ReportCorrectionSerializer(ReportChangesSerializer):
    """A correction of an approved report: the changes and why (a new approved version)."""

    reason = serializers.CharField(max_length=4000, help_text=_("Why the report is corrected."))
    free_text_checked = serializers.BooleanField(required=False, default=False, help_text=FREE_TEXT_CHECKED_HELP)


class CommentSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(max_length=4000, allow_blank=True, required=False)


class ApproveSerializer(CommentSerializer):
    free_text_checked = serializers.BooleanField(required=False, default=False, help_text=FREE_TEXT_CHECKED_HELP)


class ReturnSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(max_length=4000, help_text=_("What needs correcting."))


class WithdrawSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=4000, help_text=_("Why the report is withdrawn."))


class MarkDuplicateSerializer(serializers.Serializer[Any]):
    of = serializers.UUIDField(help_text=_("The uuid of the report this one duplicates."))
    comment = serializers.CharField(max_length=4000, allow_blank=True, required=False)
