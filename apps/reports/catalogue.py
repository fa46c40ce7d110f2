"""The one declaration of a report's fields: per field its part, label, input kind and data protection tags.

Every consumer of a report's field list reads it from here: validation (which keys may be set and how
each is cleaned), the personal-data tagging (``PERSONAL_FIELDS`` of the reports app), the entry forms,
the API serializers, the exchange snapshot, the CSV export and the demo seeder. Adding a field to a
report or one of its parts is one model field, one line here and a migration; a test fails when a
concrete model field of a part is missing here (or declared here but not a model field).

A report has five parts: the ``report`` itself and its ``item``, ``route`` (steps of the goods' route),
``conveyance`` and ``party`` rows. Within a part, fields are declared in the order partners receive
them in a snapshot. Fields the officer types are ``editable``; the others are kept by the services
(status, version, positions, normalised quantities, who did what and when) and are declared so that
each carries its personal-data tag. ``shared`` fields go to partners in the exchange snapshot (as far
as a sharing policy lets them).

Usage::

    from apps.reports import catalogue

    catalogue.fields("item")                       # what an officer may enter for an item
    catalogue.fields("report", simplified=True)    # what the simplified form shows
    catalogue.fields("party", personal=False)      # non-personal input fields of a party
    catalogue.fields("item", restricted=True)      # what only a user who may see personal data sees
    catalogue.field("item", "quantity").label
    catalogue.part("route").wire_key               # "route": the key of the part in forms, API, snapshot
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.apps import apps as django_apps
from django.db.models import Model, TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.core.caches import process_cache_register
from apps.reference.models import (
    CommodityCategory,
    CommodityType,
    ConcealmentMethod,
    ConveyanceType,
    Currency,
    DetectionMethod,
    Direction,
    LocationType,
    SelectionBasis,
    TransportMode,
    Unit,
)

from .choices import (
    FormVariant,
    Genuineness,
    IdDocumentType,
    IdentifierType,
    LegalFollowUp,
    PartyKind,
    PartyRole,
    ReportKind,
    ReportStatus,
    RouteRole,
    Sex,
)

# Input kinds (what a form renders, how validation cleans a value):
#   text, longtext, date, time, decimal, integer, choice (``choices``), term (``vocabulary``, a foreign key
#   to a reference vocabulary, given by code), terms (several terms), country, hs_code, attributes
#   (commodity attributes, per the commodity type's schema), operation (a joint operation, by code).
# Kinds of fields the services keep (never ``editable``): datetime, uuid, administration, user, report,
# search.
INPUT_KINDS = frozenset(
    {
        "text",
        "longtext",
        "date",
        "time",
        "decimal",
        "integer",
        "boolean",
        "choice",
        "term",
        "terms",
        "country",
        "hs_code",
        "attributes",
        "operation",
    }
)


@dataclass(frozen=True)
class Field:
    """One field of a report or of one of its parts."""

    part: str  # "report" | "item" | "route" | "conveyance" | "party"
    name: str  # the model attribute (for a foreign key: the field name, e.g. "commodity_type")
    label: str | Promise
    kind: str
    personal: bool  # personal data (the exchange layer and audits depend on it)
    simplified: bool  # shown by the simplified web form
    required: bool = False  # a row (or report) cannot be stored without it
    vocabulary: type[Model] | None = None  # for "term" and "terms"
    choices: type[TextChoices] | None = None  # for "choice"
    help_text: str | Promise = ""
    max_length: int | None = None
    editable: bool = True  # entered by an officer (False: kept by the services)
    shared: bool = True  # part of the snapshot partners receive (as far as a policy allows)
    # Personal free text the analyst approving a version may clear for partners without personal data.
    reviewable: bool = False
    # Shown (in forms, the API, exports) only to a user who may see the report's personal data; the other
    # personal fields (places, descriptions, coordinates) are shown to whoever sees the report.
    restricted: bool = False
    # What a sharing policy may generalise the field to partners as: "date" (to its month), "place" (to its
    # country), "quantity" (to an order-of-magnitude bucket); "" for nothing.
    generalise: str = ""
    # Sent to a partner without personal data only generalised, whatever the policy says (a place typed by
    # an officer goes out only as its country).
    generalised_without_personal_data: bool = False

    @property
    def path(self) -> str:
        """The field's name in the snapshot and in sharing policies, e.g. ``"items.quantity"``."""
        return f"{PARTS[self.part].wire_key}.{self.name}"


@dataclass(frozen=True)
class Part:
    """The report itself or one kind of its rows, with its fields in order."""

    name: str
    model_name: str
    fields: tuple[Field, ...]
    label: str | Promise  # one row, e.g. "Item"
    plural: str | Promise  # the section's title, e.g. "Items"
    wire_key: str  # the key of the part in forms (formset prefix), the API and the snapshot
    numbered: str | Promise = ""  # one row with its number, a whole phrase: "Item %(number)s"

    def row_label(self, number: int) -> str:
        """One row of the part as pages name it, with its number (``"Item 2"``), in the active language."""
        return str(self.numbered) % {"number": number}

    @property
    def model(self) -> type[Model]:
        """The part's model, from the app registry: the models module reads this catalogue, not the reverse."""
        return django_apps.get_model("reports", self.model_name)

    @property
    def many(self) -> bool:
        """Whether a report has a list of these (every part but the report itself)."""
        return self.name != "report"


def _f(part: str, name: str, label: str | Promise, kind: str, **options: object) -> Field:
    # Every line says whether its field is personal: a field added without saying is refused here, never
    # shared or shown as if it were not (the exchange layer, the exports and the audit depend on it).
    if "personal" not in options:
        raise TypeError(f"{part}.{name}: say personal=True or personal=False in the field catalogue")
    options.setdefault("simplified", False)
    return Field(part=part, name=name, label=label, kind=kind, **options)  # type: ignore[arg-type]


def _report(name: str, label: str | Promise, kind: str, **options: object) -> Field:
    return _f("report", name, label, kind, **options)


def _item(name: str, label: str | Promise, kind: str, **options: object) -> Field:
    return _f("item", name, label, kind, **options)


def _route(name: str, label: str | Promise, kind: str, **options: object) -> Field:
    return _f("route", name, label, kind, **options)


def _conveyance(name: str, label: str | Promise, kind: str, **options: object) -> Field:
    return _f("conveyance", name, label, kind, **options)


def _party(name: str, label: str | Promise, kind: str, **options: object) -> Field:
    # Every value of a party is personal, but its kind, role and position (which say nothing of who).
    options.setdefault("personal", True)
    options.setdefault("restricted", options["personal"])
    return _f("party", name, label, kind, **options)


_MANAGED = {"editable": False}
_INTERNAL = {"editable": False, "shared": False}

REPORT_FIELDS = (
    _report("kind", _("Kind of case"), "choice", personal=False, choices=ReportKind, simplified=True),
    _report("form_variant", _("Form variant"), "choice", personal=False, choices=FormVariant),
    _report(
        "national_reference",
        _("National reference"),
        "text",
        personal=False,
        required=True,
        simplified=True,
        max_length=64,
        help_text=_("Your administration's case number."),
    ),
    _report("administration", _("Administration"), "administration", personal=False, **_MANAGED),
    _report("country_of_seizure", _("Country of seizure"), "country", personal=False, required=True, simplified=True),
    _report(
        "seizure_date",
        _("Date of seizure"),
        "date",
        personal=False,
        required=True,
        simplified=True,
        generalise="date",
        help_text=_("YYYY-MM-DD; not in the future, not before 1990."),
    ),
    _report("seizure_time", _("Time of seizure"), "time", personal=False),
    _report(
        "customs_office",
        _("Customs office"),
        "text",
        max_length=160,
        personal=True,
        reviewable=True,
        generalise="place",
    ),
    _report(
        "place",
        _("Place"),
        "text",
        max_length=200,
        personal=True,
        reviewable=True,
        generalise="place",
        generalised_without_personal_data=True,
        help_text=_("Port, airport, border crossing or town."),
    ),
    # Exact coordinates can point at a home: personal, and never cleared by a reviewer's check.
    _report("latitude", _("Latitude"), "decimal", personal=True, help_text=_("Decimal degrees, e.g. 49.4812.")),
    _report("longitude", _("Longitude"), "decimal", personal=True, help_text=_("Decimal degrees, e.g. 0.1071.")),
    _report("location_type", _("Type of location"), "term", personal=False, vocabulary=LocationType),
    _report("direction", _("Direction of the goods"), "term", personal=False, vocabulary=Direction),
    _report(
        "transport_mode", _("Mode of transport"), "term", personal=False, vocabulary=TransportMode, simplified=True
    ),
    _report("conveyance_type", _("Type of conveyance"), "term", personal=False, vocabulary=ConveyanceType),
    _report(
        "detection_methods",
        _("Detection methods"),
        "terms",
        personal=False,
        vocabulary=DetectionMethod,
        simplified=True,
    ),
    _report("selection_basis", _("Basis of selection"), "term", personal=False, vocabulary=SelectionBasis),
    _report(
        "modus_operandi",
        _("Modus operandi"),
        "longtext",
        personal=True,
        restricted=True,
        help_text=_("How the goods were smuggled. Treated as personal data."),
    ),
    _report("number_of_offenders", _("Number of offenders"), "integer", personal=False),
    _report("legal_follow_up", _("Legal follow-up"), "choice", personal=False, choices=LegalFollowUp),
    _report("operation", _("Joint operation"), "operation", personal=False),
    _report("approved_at", _("Approved at"), "datetime", personal=False, generalise="date", **_MANAGED),
    # Kept by the services, never sent to partners (staff identities least of all).
    _report("uuid", _("UUID"), "uuid", personal=False, **_INTERNAL),
    _report("status", _("Status"), "choice", personal=False, choices=ReportStatus, **_INTERNAL),
    _report("version", _("Version"), "integer", personal=False, **_INTERNAL),
    _report("duplicate_of", _("Duplicate of"), "report", personal=False, **_INTERNAL),
    _report("created_by", _("Created by"), "user", personal=True, **_INTERNAL),
    _report("submitted_by", _("Submitted by"), "user", personal=True, **_INTERNAL),
    _report("approved_by", _("Approved by"), "user", personal=True, **_INTERNAL),
    _report("submitted_at", _("Submitted at"), "datetime", personal=False, **_INTERNAL),
    _report("created_at", _("Created at"), "datetime", personal=False, **_INTERNAL),
    _report("updated_at", _("Updated at"), "datetime", personal=False, **_INTERNAL),
    _report("search_vector", _("Search index"), "search", personal=False, **_INTERNAL),
)

ITEM_FIELDS = (
    _item("position", _("Position"), "integer", personal=False, **_MANAGED),
    _item(
        "commodity_category",
        _("Commodity category"),
        "term",
        personal=False,
        vocabulary=CommodityCategory,
        required=True,
        simplified=True,
    ),
    _item("commodity_type", _("Commodity type"), "term", personal=False, vocabulary=CommodityType, simplified=True),
    _item(
        "hs_code",
        _("HS code"),
        "hs_code",
        personal=False,
        simplified=True,
        max_length=12,
        help_text=_("2, 4 or 6 digits, or type words of the description (HS descriptions are in English)."),
    ),
    _item(
        "description",
        _("Description of the goods"),
        "longtext",
        personal=True,
        reviewable=True,
        simplified=True,
        help_text=_("No names of persons."),
    ),
    _item("quantity", _("Quantity"), "decimal", personal=False, required=True, simplified=True, generalise="quantity"),
    _item("unit", _("Unit"), "term", personal=False, vocabulary=Unit, required=True, simplified=True),
    _item(
        "normalised_quantity", _("Normalised quantity"), "decimal", personal=False, generalise="quantity", **_MANAGED
    ),
    _item(
        "normalised_dimension", _("Normalised dimension"), "choice", personal=False, choices=Unit.Dimension, **_MANAGED
    ),
    _item("packages_count", _("Number of packages"), "integer", personal=False, generalise="quantity"),
    _item("estimated_value", _("Estimated value"), "decimal", personal=False, generalise="quantity"),
    _item("currency", _("Currency"), "term", personal=False, vocabulary=Currency),
    _item("brand", _("Brand"), "text", max_length=120, personal=True, reviewable=True),
    _item("genuineness", _("Genuineness"), "choice", personal=False, choices=Genuineness),
    _item("country_of_manufacture", _("Country of manufacture"), "country", personal=False),
    _item("concealment_method", _("Concealment method"), "term", personal=False, vocabulary=ConcealmentMethod),
    _item(
        "concealment_detail",
        _("Concealment detail"),
        "longtext",
        personal=True,
        restricted=True,
        help_text=_("Treated as personal data."),
    ),
    _item(
        "attributes",
        _("Commodity-specific attributes"),
        "attributes",
        personal=True,
        reviewable=True,
    ),
)

ROUTE_FIELDS = (
    _route("sequence", _("Sequence"), "integer", personal=False, **_MANAGED),
    _route("role", _("Role in the route"), "choice", personal=False, choices=RouteRole, required=True),
    _route("country", _("Country"), "country", personal=False, required=True),
    _route(
        "place",
        _("Place"),
        "text",
        max_length=120,
        personal=True,
        reviewable=True,
        generalise="place",
        generalised_without_personal_data=True,
    ),
    _route(
        "unlocode",
        _("UN/LOCODE"),
        "text",
        personal=False,
        max_length=5,
        generalise="place",
        help_text=_("5 characters, e.g. FRLEH."),
    ),
)

CONVEYANCE_FIELDS = (
    _conveyance("transport_mode", _("Mode of transport"), "term", personal=False, vocabulary=TransportMode),
    _conveyance("conveyance_type", _("Type of conveyance"), "term", personal=False, vocabulary=ConveyanceType),
    _conveyance("identifier_type", _("Identifier type"), "choice", personal=False, choices=IdentifierType),
    _conveyance(
        "identifier",
        _("Identifier"),
        "text",
        max_length=64,
        personal=True,
        restricted=True,
        help_text=_("Vessel IMO, flight number, plate, container, AWB…"),
    ),
    _conveyance("flag_country", _("Flag or registration country"), "country", personal=False),
)

PARTY_FIELDS = (
    _party("position", _("Position"), "integer", personal=False, **_MANAGED),
    _party("kind", _("Person or company"), "choice", choices=PartyKind, personal=False),
    _party("role", _("Role in the case"), "choice", choices=PartyRole, personal=False),
    _party("family_name", _("Family name"), "text", max_length=120),
    _party("given_names", _("Given names"), "text", max_length=120),
    _party("birth_date", _("Date of birth"), "date", generalise="date"),
    _party("nationality", _("Nationality"), "country"),
    _party("sex", _("Sex"), "choice", choices=Sex),
    _party("id_document_type", _("Identity document"), "choice", choices=IdDocumentType),
    _party("id_document_number", _("Document number"), "text", max_length=64),
    _party("id_document_country", _("Document issued by"), "country"),
    _party("company_name", _("Company name"), "text", max_length=200),
    _party("registration_number", _("Registration number"), "text", max_length=64),
    _party("eori", _("EORI number"), "text", max_length=17),
    _party("company_country", _("Company country"), "country"),
)

PARTS: dict[str, Part] = {
    "report": Part("report", "Report", REPORT_FIELDS, _("Report"), _("Reports"), "report"),
    "item": Part("item", "ReportItem", ITEM_FIELDS, _("Item"), _("Items"), "items", _("Item %(number)s")),
    "route": Part(
        "route", "RouteCountry", ROUTE_FIELDS, _("Route step"), _("Route"), "route", _("Route step %(number)s")
    ),
    "conveyance": Part(
        "conveyance",
        "Conveyance",
        CONVEYANCE_FIELDS,
        _("Conveyance"),
        _("Conveyances"),
        "conveyances",
        _("Conveyance %(number)s"),
    ),
    "party": Part(
        "party",
        "Party",
        PARTY_FIELDS,
        _("Person or company"),
        _("Persons and companies"),
        "parties",
        _("Person or company %(number)s"),
    ),
}
# The parts a report has lists of, in the order of the forms, the API and the snapshot.
ROW_PARTS: tuple[str, ...] = ("item", "route", "conveyance", "party")
# Model fields no part declares: the row's own key and its report.
ROW_KEYS = frozenset({"id", "report"})


def part(name: str) -> Part:
    """The part called ``name`` ("report", "item", "route", "conveyance", "party")."""
    return PARTS[name]


def part_by_wire_key(wire_key: str) -> Part:
    """The part whose forms, API and snapshot key is ``wire_key`` (e.g. "items")."""
    return _by_wire_key()[wire_key]


@cache
def _by_wire_key() -> dict[str, Part]:
    return {item.wire_key: item for item in PARTS.values()}


process_cache_register("reports.catalogue.by_wire_key", _by_wire_key.cache_clear)


def fields(
    part: str,
    *,
    simplified: bool | None = None,
    personal: bool | None = None,
    editable: bool | None = True,
    shared: bool | None = None,
    restricted: bool | None = None,
) -> tuple[Field, ...]:
    """The fields of ``part``, in order; by default those an officer enters, filtered by each given flag.

    ``editable=None`` gives every declared field (the services' own included).
    """
    # Cached: the validator asks for them for every row it cleans.
    return _fields(part, simplified, personal, editable, shared, restricted)


@cache
def _fields(
    part: str,
    simplified: bool | None,
    personal: bool | None,
    editable: bool | None,
    shared: bool | None,
    restricted: bool | None,
) -> tuple[Field, ...]:
    return tuple(
        item
        for item in PARTS[part].fields
        if (simplified is None or item.simplified == simplified)
        and (personal is None or item.personal == personal)
        and (editable is None or item.editable == editable)
        and (shared is None or item.shared == shared)
        and (restricted is None or item.restricted == restricted)
    )


process_cache_register("reports.catalogue.fields", _fields.cache_clear)


def names(part: str, **flags: bool | None) -> tuple[str, ...]:
    """The names of :func:`fields` ``(part, **flags)``."""
    return tuple(item.name for item in fields(part, **flags))


def field(part: str, name: str) -> Field:
    """The field ``name`` of ``part``; ``KeyError`` when the part has no such field."""
    return _index()[part, name]


@cache
def _index() -> dict[tuple[str, str], Field]:
    return {(item.part, item.name): item for declared in PARTS.values() for item in declared.fields}


process_cache_register("reports.catalogue.index", _index.cache_clear)


# The generalise tags of the catalogue.
GENERALISE = frozenset({"date", "place", "quantity"})


def generalised(kind: str) -> frozenset[str]:
    """The paths (e.g. ``"items.quantity"``) of the shared fields a policy may generalise as ``kind``."""
    return frozenset(
        item.path for declared in PARTS.values() for item in declared.fields if item.shared and item.generalise == kind
    )


def generalised_without_personal_data() -> frozenset[str]:
    """The paths of the shared fields sent to a partner without personal data only generalised."""
    return frozenset(
        item.path
        for declared in PARTS.values()
        for item in declared.fields
        if item.shared and item.generalised_without_personal_data
    )


def personal_tags() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Per model name of each part: its personal fields, its non-personal fields and its reviewable free text.

    The reports app's ``PERSONAL_FIELDS``, ``NON_PERSONAL_FIELDS`` and ``REVIEWABLE_FREE_TEXT`` for the
    models of a report are these (a row's own key and its report are non-personal).
    """
    personal: dict[str, frozenset[str]] = {}
    non_personal: dict[str, frozenset[str]] = {}
    reviewable: dict[str, frozenset[str]] = {}
    for declared in PARTS.values():
        every = declared.fields
        personal[declared.model_name] = frozenset(item.name for item in every if item.personal)
        non_personal[declared.model_name] = frozenset(item.name for item in every if not item.personal) | (
            ROW_KEYS if declared.many else frozenset({"id"})
        )
        checked = frozenset(item.name for item in every if item.reviewable)
        if checked:
            reviewable[declared.model_name] = checked
    return personal, non_personal, reviewable
