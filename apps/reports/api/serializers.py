"""Output serializers of the reports API (the request bodies are in :mod:`apps.reports.api.inputs`).

They render what the selectors returned; personal values appear only when the caller may see them on that report
(``context["personal"]``), else they are null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from typing import Any, ClassVar, TypeVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.accounts.api.serializers import AdministrationRefSerializer
from apps.core.caches import process_cache_register

from .. import catalogue
from ..choices import AgeBand, Sex
from ..models import Party, Report
from ..profiles import PartyProfile, party_profile

# --- output ------------------------------------------------------------------------------------------
# The declared fields document the representation (OpenAPI); ``represent`` builds it straight from
# the loaded rows, for speed: a page of a hundred reports with their parts is thousands of values,
# too many to go through a field object each (tests/reports/api check that both name the same keys).
# A report comes as a model instance with its related rows (a report's own page, from the domain
# selectors); a list's reports PostgreSQL writes in this shape (see apps.reports.api.list_json).


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


_CODE: dict[str, Any] = {"allow_null": True, "help_text": "Code of the term."}
_COUNTRY: dict[str, Any] = {"allow_null": True, "help_text": "ISO 3166-1 alpha-2 code."}
_PERSONAL = "(personal data): null unless you may see it on this report."
# Fields of the catalogue the API never shows: staff identities and the search index.
_NOT_SHOWN = frozenset({"created_by", "submitted_by", "approved_by", "search_vector"})


def _output_field(spec: catalogue.Field) -> serializers.Field:  # type: ignore[type-arg]
    """The declared (documented) field of a catalogue field, by its kind."""
    model_field: Any = catalogue.part(spec.part).model._meta.get_field(spec.name)
    nullable = bool(getattr(model_field, "null", False)) or spec.restricted
    help_text = str(spec.help_text) if spec.kind not in ("term", "country") else ""
    if spec.restricted:
        help_text = f"{help_text.removesuffix(' Treated as personal data.')} {_PERSONAL}".strip()
    options: dict[str, Any] = {"help_text": help_text} if help_text else {}
    kind = spec.kind
    if kind in ("term", "hs_code", "operation"):
        return serializers.CharField(**{**_CODE, **options})
    if kind == "country":
        return serializers.CharField(**_COUNTRY)
    if kind == "terms":
        return serializers.ListField(child=serializers.CharField(), help_text=_("Codes."))
    if kind == "choice" and spec.choices is not None:
        return serializers.ChoiceField(choices=spec.choices.choices, allow_blank=True, allow_null=nullable, **options)
    if kind == "decimal":
        digits = {"max_digits": model_field.max_digits, "decimal_places": model_field.decimal_places}
        return serializers.DecimalField(**digits, allow_null=nullable, **options)
    simple: dict[str, type[serializers.Field]] = {  # type: ignore[type-arg]
        "integer": serializers.IntegerField,
        "date": serializers.DateField,
        "time": serializers.TimeField,
        "datetime": serializers.DateTimeField,
        "uuid": serializers.UUIDField,
        "attributes": serializers.DictField,
    }
    return simple.get(kind, serializers.CharField)(allow_null=nullable, **options)


def catalogue_fields(
    part: str,
    *,
    exclude: frozenset[str] = frozenset(),
    factory: Callable[[catalogue.Field], serializers.Field] = _output_field,  # type: ignore[type-arg]
    editable: bool | None = None,
) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
    """The declared fields (by default the output fields) of ``part``'s fields, in the catalogue's order."""
    return {
        spec.name: factory(spec)
        for spec in catalogue.fields(part, editable=editable)
        if spec.name not in exclude and spec.name not in _NOT_SHOWN
    }


_S = TypeVar("_S", bound=type[serializers.Serializer[Any]])


def from_catalogue(
    part: str,
    *,
    exclude: frozenset[str] = frozenset(),
    after: str = "",
    factory: Callable[[catalogue.Field], serializers.Field] = _output_field,  # type: ignore[type-arg]
    editable: bool | None = None,
) -> Callable[[_S], _S]:
    """Declare ``part``'s catalogue fields (made by ``factory``, of the fields ``editable`` selects) on the decorated
    serializer, in the catalogue's order. Its own declarations of the same names stand in their place and its others
    follow them; or, given ``after``, all its own declarations follow that catalogue field."""

    def declare(serializer: _S) -> _S:
        own = dict(serializer._declared_fields)  # type: ignore[attr-defined]
        generated = catalogue_fields(part, exclude=exclude, factory=factory, editable=editable)
        if after:
            names = [name for name in generated if name not in own]
            cut = names.index(after) + 1
            declared = {
                **{name: generated[name] for name in names[:cut]},
                **own,
                **{name: generated[name] for name in names[cut:]},
            }
        else:
            declared = {name: own.pop(name, field) for name, field in generated.items()} | own
        serializer._declared_fields = declared  # type: ignore[attr-defined]
        return serializer

    return declare


def _getter(spec: catalogue.Field) -> Callable[[Any, dt.tzinfo], Any]:
    """How :meth:`represent` reads the field from a model instance."""
    name = spec.name
    if spec.kind in ("term", "hs_code", "operation"):
        return lambda row, zone: code(row, name)
    if spec.kind == "country":
        return lambda row, zone: country(row, name)
    if spec.kind == "terms":
        return lambda row, zone: [term.code for term in getattr(row, name).all()]
    if spec.kind == "decimal":
        return lambda row, zone: decimal(getattr(row, name))
    if spec.kind in ("date", "time"):
        return lambda row, zone: day(getattr(row, name))
    if spec.kind == "datetime":
        return lambda row, zone: moment(getattr(row, name), zone)
    if spec.kind == "uuid":
        return lambda row, zone: str(getattr(row, name))
    return lambda row, zone: getattr(row, name)


class PartRowSerializer(serializers.Serializer[Any]):
    """A row of a report's part (a model instance), built by :meth:`represent` from the catalogue: every declared
    key, restricted personal values only when ``personal``."""

    part: ClassVar[str]
    _getters: ClassVar[tuple[tuple[str, bool, Callable[[Any, dt.tzinfo], Any]], ...]]

    def to_representation(self, row: Any) -> dict[str, Any]:
        return self.represent(row, personal=bool(self.context.get("personal")))

    @classmethod
    def getters(cls) -> tuple[tuple[str, bool, Callable[[Any, dt.tzinfo], Any]], ...]:
        if "_getters" not in cls.__dict__:
            specs = {spec.name: spec for spec in catalogue.fields(cls.part, editable=None)}
            cls._getters = tuple((name, specs[name].restricted, _getter(specs[name])) for name in cls._declared_fields)
        return cls._getters

    @classmethod
    def represent(cls, row: Any, *, personal: bool) -> dict[str, Any]:
        zone = timezone.get_current_timezone()
        return {
            name: None if restricted and not personal else get(row, zone) for name, restricted, get in cls.getters()
        }


@from_catalogue("item")
class ItemSerializer(PartRowSerializer):
    """One kind of goods seized."""

    part = "item"
    normalised_quantity = serializers.DecimalField(
        max_digits=24,
        decimal_places=6,
        allow_null=True,
        help_text=_("The quantity in kg, litres, sticks or pieces (see normalised_dimension), for totals."),
    )
    normalised_dimension = serializers.CharField(help_text=_("mass, volume, count, sticks, or empty."))
    attributes = serializers.DictField(help_text=_("Commodity-specific attributes (purity, sticks, species, ...)."))


@from_catalogue("route")
class RouteStepSerializer(PartRowSerializer):
    """One country of the goods' route, in order."""

    part = "route"


@from_catalogue("conveyance")
class ConveyanceSerializer(PartRowSerializer):
    """A means of transport involved."""

    part = "conveyance"
    identifier_type = serializers.CharField(help_text=_("imo, flight, plate, container, awb, postal, other, or empty."))


# A party's profile (what anyone who sees the report may know of it) shows its nationality and sex; its other
# restricted values only to a caller who may see the report's personal data.
_PARTY_PROFILE = ("nationality", "sex")
_PARTY_PERSONAL = tuple(name for name in catalogue.names("party", restricted=True) if name not in _PARTY_PROFILE)


@from_catalogue("party", after="role")
class PartySerializer(serializers.Serializer[Any]):
    """A person or company involved. Kind and role are shown to whoever sees the report; nationality, sex and
    age band (derived from the person's data), names, birth date, documents and company details are null unless
    the caller may see this report's personal data (as its web page shows parties only to such a caller)."""

    nationality = serializers.CharField(**_COUNTRY)
    sex = serializers.ChoiceField(choices=Sex.choices, allow_null=True)
    age_band = serializers.ChoiceField(
        choices=AgeBand.choices, allow_null=True, help_text=_("Age at the seizure (persons with a known birth date).")
    )

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
            getters = {name: _getter(catalogue.field("party", name)) for name in _PARTY_PERSONAL}
            zone = timezone.get_current_timezone()
            row.update({name: get(party, zone) or None for name, get in getters.items()})
        return row


@cache
def _report_getters() -> tuple[tuple[str, bool, Callable[[Any, dt.tzinfo], Any]], ...]:
    """How the report's own catalogue fields are read for its representation (as a part's row's are)."""
    return tuple(
        (spec.name, spec.restricted, _getter(spec))
        for spec in catalogue.fields("report", editable=None)
        if spec.name not in _NOT_SHOWN
    )


process_cache_register("reports.api.serializers.report_getters", _report_getters.cache_clear)


def _administration(report: Report) -> dict[str, Any]:
    row = report.administration
    return {"code": row.code, "name": row.name, "country": country(row, "country")}


@from_catalogue("report")
class ReportSerializer(serializers.Serializer[Any]):
    """A seizure or offence report, with its items, route, conveyances and parties.

    Personal values (modus operandi, concealment details, conveyance identifiers, parties' identities)
    are included only when ``personal_data`` is true: on a report's own page for a caller who may
    see them (each such read is recorded in the audit log). Lists never include them.
    """

    uuid = serializers.UUIDField(read_only=True)
    administration = AdministrationRefSerializer()
    version = serializers.IntegerField(help_text=_("Increments with every approved change."))
    operation = serializers.CharField(allow_null=True, help_text=_("Code of the joint operation, if any."))
    duplicate_of = serializers.UUIDField(allow_null=True, help_text=_("The report this one duplicates."))
    personal_data = serializers.BooleanField(help_text=_("Whether personal values are included."))
    items = ItemSerializer(many=True)
    route = RouteStepSerializer(many=True)
    conveyances = ConveyanceSerializer(many=True)
    parties = PartySerializer(many=True)

    def to_representation(self, report: Any) -> dict[str, Any]:
        """A report from the domain selectors, with ``context["personal"]`` (include personal values) and
        ``context["parties"]`` (its parties as the gated selector returned them). (Lists are written by
        PostgreSQL: see apps.reports.api.list_json.)"""
        personal = bool(self.context.get("personal"))
        zone = timezone.get_current_timezone()
        values = {
            name: None if restricted and not personal else get(report, zone)
            for name, restricted, get in _report_getters()
        }
        values |= {
            "administration": _administration(report),
            "duplicate_of": None if report.duplicate_of is None else str(report.duplicate_of.uuid),
            "personal_data": personal,
            "items": [ItemSerializer.represent(row, personal=personal) for row in report.items.all()],
            "route": [RouteStepSerializer.represent(row, personal=personal) for row in report.route.all()],
            "conveyances": [ConveyanceSerializer.represent(row, personal=personal) for row in report.conveyances.all()],
            "parties": [
                PartySerializer.represent(row, on=report.seizure_date, personal=personal)
                for row in self.context["parties"]
            ],
        }
        return {name: values[name] for name in self._declared_fields}
