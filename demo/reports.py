"""Synthetic demo reports: realistic enough to exercise lists, review queues, dashboards and exchange.

:func:`seed_reports` spreads reports over every administration in the database, every workflow
state and every commodity category, with plausible routes, conveyances, quantities per commodity
and a few near-duplicates (the same seizure entered twice), and writes them in batches with
PostgreSQL COPY. The vocabulary rows it needs are looked up by code and created only if absent.
All names and numbers are invented (seeded random generator); no real person is described.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field as DjangoField
from django.db.models import Model
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.reference.models import (
    CommodityCategory,
    CommodityType,
    ConcealmentMethod,
    ConveyanceType,
    Currency,
    DetectionMethod,
    Direction,
    EnforcementArea,
    HSCode,
    LocationType,
    SelectionBasis,
    TransportMode,
    Unit,
)
from apps.reports import catalogue
from apps.reports.catalogue import Field
from apps.reports.choices import FormVariant, Genuineness, LegalFollowUp, PartyKind, PartyRole, ReportKind, ReportStatus
from apps.reports.models import (
    DuplicateCandidate,
    Report,
    ReviewEvent,
)
from apps.reports.search import SEARCH_VECTOR_SQL
from apps.tenancy.models import Administration

BATCH = 2500

# --- vocabulary the demo needs (codes as in the reference data; created only if absent) ---------

UNITS = {
    "KGM": ("kilogram", "mass", Decimal("1")),
    "GRM": ("gram", "mass", Decimal("0.001")),
    "TNE": ("tonne (metric ton)", "mass", Decimal("1000")),
    "LTR": ("litre", "volume", Decimal("1")),
    "H87": ("piece", "count", Decimal("1")),
    "U2": ("tablet", "count", Decimal("1")),
    "PR": ("pair", "count", Decimal("2")),
    "STK": ("stick, cigarette", "sticks", Decimal("1")),
    "MTQ": ("cubic metre", "volume", Decimal("1000")),
}
AREAS = {
    "DRUGS": "Drugs",
    "REVENUE": "Revenue",
    "IPR_HEALTH_SAFETY": "IPR and health & safety",
    "ENVIRONMENT": "Environment",
    "SECURITY": "Security",
    "CULTURAL_HERITAGE": "Cultural heritage",
}
CATEGORIES = {
    "DRUGS": ("Drugs", "DRUGS"),
    "PRECURSORS": ("Precursors", "DRUGS"),
    "TOBACCO": ("Tobacco", "REVENUE"),
    "ALCOHOL": ("Alcohol", "REVENUE"),
    "OTHER_REVENUE": ("Other revenue goods", "REVENUE"),
    "IPR": ("IPR", "IPR_HEALTH_SAFETY"),
    "MEDICINES": ("Medicines", "IPR_HEALTH_SAFETY"),
    "CITES": ("CITES / wildlife", "ENVIRONMENT"),
    "OTHER_ENVIRONMENT": ("Other environment", "ENVIRONMENT"),
    "WEAPONS": ("Weapons and ammunition", "SECURITY"),
    "EXPLOSIVES": ("Explosives and strategic goods", "SECURITY"),
    "CASH": ("Cash", "SECURITY"),
    "CULTURAL_GOODS": ("Cultural goods", "CULTURAL_HERITAGE"),
}


@dataclass(frozen=True)
class Commodity:
    """A commodity type and how its seizures typically look."""

    category: str
    code: str
    label: str
    unit: str
    median: float  # typical quantity in ``unit``
    spread: float  # log-normal sigma
    hs: str
    descriptions: tuple[str, ...]
    brands: tuple[str, ...] = ("",)
    origins: tuple[str, ...] = ("CN",)
    weight: int = 1
    attributes: tuple[tuple[str, Any], ...] = ()


COMMODITIES: tuple[Commodity, ...] = (
    Commodity(
        "DRUGS",
        "COCAINE",
        "Cocaine",
        "KGM",
        40,
        1.6,
        "2939",
        ("Bricks of white powder", "Cocaine in banana boxes"),
        ("", "Scorpion", "Dolphin"),
        ("CO", "EC", "PE", "BR", "PA"),
        6,
        (("purity_percent", (55, 92)),),
    ),
    Commodity(
        "DRUGS",
        "HEROIN",
        "Heroin",
        "KGM",
        8,
        1.4,
        "2939",
        ("Brown powder in packages",),
        ("",),
        ("AF", "PK", "IR", "TR"),
        3,
        (("purity_percent", (20, 70)),),
    ),
    Commodity(
        "DRUGS",
        "CANNABIS_RESIN",
        "Cannabis resin",
        "KGM",
        60,
        1.5,
        "1302",
        ("Resin slabs",),
        ("",),
        ("MA", "ES", "AF"),
        5,
        (("purity_percent", (5, 30)),),
    ),
    Commodity(
        "DRUGS",
        "CANNABIS_HERBAL",
        "Herbal cannabis",
        "KGM",
        12,
        1.5,
        "1211",
        ("Vacuum-packed herbal cannabis",),
        ("",),
        ("NL", "AL", "US", "CA", "TH"),
        5,
    ),
    Commodity(
        "DRUGS",
        "MDMA_TABLETS",
        "MDMA (ecstasy) tablets",
        "U2",
        5000,
        1.5,
        "2932",
        ("Coloured tablets",),
        ("Tesla", "Heineken", "Blue Punisher"),
        ("NL", "BE"),
        2,
    ),
    Commodity(
        "DRUGS",
        "METHAMPHETAMINE",
        "Methamphetamine",
        "KGM",
        5,
        1.6,
        "2939",
        ("Crystalline substance",),
        ("",),
        ("MX", "MM", "AF", "NL"),
        2,
    ),
    Commodity(
        "PRECURSORS",
        "ACETIC_ANHYDRIDE",
        "Acetic anhydride",
        "LTR",
        800,
        1.2,
        "2915",
        ("Drums of acetic anhydride",),
        ("",),
        ("CN", "IN", "DE"),
        1,
    ),
    Commodity(
        "PRECURSORS",
        "BMK",
        "BMK, APAA and APAAN",
        "KGM",
        300,
        1.3,
        "2924",
        ("Pre-precursor in plastic drums",),
        ("",),
        ("CN", "IN"),
        1,
    ),
    Commodity(
        "TOBACCO",
        "CIGARETTES",
        "Cigarettes",
        "STK",
        400000,
        1.6,
        "2402",
        ("Cigarettes hidden in cargo", "Cartons of cigarettes"),
        ("Marlboro", "Jin Ling", "Minsk", "Raquel", "Fest"),
        ("BY", "AE", "CN", "UA", "AM"),
        8,
        (("sticks_count", None), ("brand_genuineness", ("genuine", "counterfeit", "illicit_white"))),
    ),
    Commodity(
        "TOBACCO",
        "WATER_PIPE_TOBACCO",
        "Water-pipe tobacco",
        "KGM",
        150,
        1.3,
        "2403",
        ("Shisha tobacco",),
        ("Al Fakher", ""),
        ("AE", "EG", "JO"),
        2,
    ),
    Commodity(
        "ALCOHOL",
        "SPIRITS",
        "Spirits",
        "LTR",
        300,
        1.5,
        "2208",
        ("Bottles of vodka", "Whisky bottles"),
        ("Absolut", "Johnnie Walker", ""),
        ("RU", "UA", "GB", "PL"),
        3,
        (("alcohol_percent_vol", (37, 45)),),
    ),
    Commodity("ALCOHOL", "BEER", "Beer", "LTR", 2000, 1.0, "2203", ("Cans of beer",), ("",), ("DE", "BE", "CZ"), 1),
    Commodity(
        "OTHER_REVENUE",
        "FUEL",
        "Fuel and mineral oils",
        "LTR",
        5000,
        1.5,
        "2710",
        ("Diesel in modified tanks",),
        ("",),
        ("RU", "BY", "LY"),
        2,
    ),
    Commodity(
        "OTHER_REVENUE",
        "TEXTILES",
        "Textiles and clothing",
        "KGM",
        2000,
        1.4,
        "6109",
        ("Undervalued garments",),
        ("",),
        ("CN", "BD", "TR"),
        2,
    ),
    Commodity(
        "IPR",
        "IPR_CLOTHING",
        "Clothing and accessories",
        "H87",
        800,
        1.5,
        "6109",
        ("Counterfeit T-shirts", "Fake sportswear"),
        ("Nike", "Adidas", "Lacoste", "Gucci"),
        ("CN", "TR"),
        4,
        (("right_type", ("trademark",)),),
    ),
    Commodity(
        "IPR",
        "IPR_FOOTWEAR",
        "Footwear",
        "PR",
        500,
        1.3,
        "6403",
        ("Counterfeit trainers",),
        ("Nike", "Adidas"),
        ("CN", "VN"),
        2,
        (("right_type", ("trademark", "design")),),
    ),
    Commodity(
        "IPR",
        "IPR_PHONES",
        "Mobile phones and accessories",
        "H87",
        300,
        1.5,
        "8517",
        ("Phone chargers", "Fake earphones"),
        ("Apple", "Samsung"),
        ("CN", "HK"),
        2,
        (("right_type", ("trademark", "patent")),),
    ),
    Commodity(
        "MEDICINES",
        "MED_ERECTILE",
        "Erectile dysfunction medicines",
        "U2",
        3000,
        1.6,
        "3004",
        ("Blister packs",),
        ("Viagra", "Cialis", "Kamagra"),
        ("IN", "CN"),
        3,
        (("dosage_units", None),),
    ),
    Commodity(
        "MEDICINES",
        "MED_ANABOLIC",
        "Anabolic steroids and hormones",
        "U2",
        2000,
        1.4,
        "2937",
        ("Vials and tablets",),
        ("",),
        ("IN", "TH", "MD"),
        1,
    ),
    Commodity(
        "CITES",
        "IVORY",
        "Ivory",
        "KGM",
        30,
        1.4,
        "0507",
        ("Raw ivory tusks", "Carved ivory"),
        ("",),
        ("NG", "MZ", "KE", "CD"),
        1,
        (("species", ("Loxodonta africana",)), ("cites_appendix", ("I",))),
    ),
    Commodity(
        "CITES",
        "GLASS_EELS",
        "Glass eels",
        "KGM",
        50,
        1.0,
        "0301",
        ("Live glass eels in suitcases",),
        ("",),
        ("FR", "ES", "PT"),
        1,
        (("species", ("Anguilla anguilla",)), ("cites_appendix", ("II",)), ("live_or_dead", ("live",))),
    ),
    Commodity(
        "OTHER_ENVIRONMENT",
        "HFC",
        "Fluorinated greenhouse gases (HFCs)",
        "KGM",
        400,
        1.2,
        "2903",
        ("Refrigerant cylinders",),
        ("",),
        ("CN", "TR", "UA"),
        1,
        (("substance", ("HFC-134a", "R-404A")),),
    ),
    Commodity(
        "OTHER_ENVIRONMENT",
        "HAZARDOUS_WASTE",
        "Hazardous waste",
        "TNE",
        20,
        1.2,
        "3825",
        ("Mixed e-waste",),
        ("",),
        ("DE", "NL", "IT"),
        1,
    ),
    Commodity(
        "WEAPONS",
        "HANDGUNS",
        "Handguns (pistols, revolvers)",
        "H87",
        3,
        1.0,
        "9302",
        ("Pistols in car panels",),
        ("Glock", "Zastava", ""),
        ("US", "RS", "TR"),
        1,
        (("calibre", ("9mm", ".38")),),
    ),
    Commodity(
        "WEAPONS",
        "AMMUNITION",
        "Ammunition",
        "H87",
        500,
        1.4,
        "9306",
        ("Cartridges",),
        ("",),
        ("RS", "US", "CZ"),
        1,
        (("calibre", ("9mm", "7.62x39mm")),),
    ),
    Commodity(
        "EXPLOSIVES",
        "FIREWORKS",
        "Fireworks and pyrotechnics",
        "KGM",
        300,
        1.4,
        "3604",
        ("Undeclared fireworks",),
        ("",),
        ("CN", "PL"),
        1,
    ),
    Commodity(
        "EXPLOSIVES",
        "DUAL_USE",
        "Dual-use goods",
        "H87",
        20,
        1.3,
        "8543",
        ("Electronic components",),
        ("",),
        ("CN", "AE", "TR"),
        1,
    ),
    Commodity(
        "CASH",
        "BANKNOTES",
        "Banknotes and coins",
        "H87",
        60000,
        1.2,
        "4907",
        ("Undeclared cash in luggage",),
        ("",),
        ("AE", "TR", "RU", "MA"),
        2,
        (("cash_type", ("banknotes",)),),
    ),
    Commodity(
        "CULTURAL_GOODS",
        "ARCHAEOLOGICAL",
        "Archaeological objects",
        "H87",
        8,
        1.2,
        "9706",
        ("Ancient coins and figurines",),
        ("",),
        ("SY", "IQ", "EG", "LY"),
        1,
        (("listed_as_stolen", (True, False)),),
    ),
    Commodity(
        "CULTURAL_GOODS",
        "PAINTINGS",
        "Paintings and drawings",
        "H87",
        2,
        0.8,
        "9701",
        ("Icons and paintings",),
        ("",),
        ("UA", "RU", "IT"),
        1,
        (("listed_as_stolen", (True, False)),),
    ),
)
HS_LABELS = {
    "2939": "Alkaloids, natural or reproduced by synthesis",
    "1302": "Vegetable saps and extracts",
    "1211": "Plants used in perfumery, pharmacy or as insecticides",
    "2932": "Heterocyclic compounds with oxygen hetero-atom(s) only",
    "2915": "Saturated acyclic monocarboxylic acids and their anhydrides",
    "2924": "Carboxyamide-function compounds",
    "2402": "Cigars, cheroots, cigarillos and cigarettes",
    "2403": "Other manufactured tobacco",
    "2208": "Undenatured ethyl alcohol under 80 % vol; spirits",
    "2203": "Beer made from malt",
    "2710": "Petroleum oils, other than crude",
    "6109": "T-shirts, singlets and other vests, knitted or crocheted",
    "6403": "Footwear with outer soles of rubber, plastics or leather and uppers of leather",
    "8517": "Telephone sets and other apparatus for transmission of voice or data",
    "3004": "Medicaments, in measured doses",
    "2937": "Hormones, prostaglandins, thromboxanes and leukotrienes",
    "0507": "Ivory, tortoise-shell, horns, antlers, hooves",
    "0301": "Fish; live",
    "2903": "Halogenated derivatives of hydrocarbons",
    "3825": "Residual products of the chemical industries",
    "9302": "Revolvers and pistols",
    "9306": "Bombs, grenades, cartridges and other ammunition",
    "3604": "Fireworks, signalling flares and other pyrotechnic articles",
    "8543": "Electrical machines and apparatus n.e.c.",
    "4907": "Unused stamps, banknotes, cheques and similar documents of title",
    "9706": "Antiques of an age exceeding 100 years",
    "9701": "Paintings, drawings and pastels, executed entirely by hand",
}


@dataclass(frozen=True)
class Setting:
    """Where and how a seizure happens: location, transport, conveyance and its identifier."""

    location: str
    location_label: str
    place: str
    mode: str
    mode_label: str
    conveyance: str
    conveyance_label: str
    identifier_type: str
    weight: int


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SEAPORT",
        "Seaport",
        "Port of {city}",
        "1",
        "Maritime transport",
        "CONTAINER_VESSEL",
        "Container vessel",
        "container",
        5,
    ),
    Setting(
        "AIRPORT",
        "Airport",
        "{city} International Airport",
        "4",
        "Air transport",
        "PASSENGER_AIRCRAFT",
        "Passenger aircraft",
        "flight",
        4,
    ),
    Setting(
        "AIRPORT",
        "Airport",
        "{city} air cargo terminal",
        "4",
        "Air transport",
        "CARGO_AIRCRAFT",
        "Cargo aircraft",
        "awb",
        2,
    ),
    Setting(
        "LAND_BORDER",
        "Land border crossing point",
        "{city} border crossing",
        "3",
        "Road transport",
        "TRUCK",
        "Truck / lorry",
        "plate",
        5,
    ),
    Setting(
        "LAND_BORDER",
        "Land border crossing point",
        "{city} border crossing",
        "3",
        "Road transport",
        "CAR",
        "Passenger car",
        "plate",
        3,
    ),
    Setting(
        "POSTAL_CENTRE",
        "Postal or courier centre",
        "{city} postal centre",
        "5",
        "Mail",
        "POSTAL_ITEM",
        "Postal item",
        "postal",
        3,
    ),
    Setting(
        "RAIL_BORDER",
        "Rail border crossing point",
        "{city} rail station",
        "2",
        "Rail transport",
        "FREIGHT_TRAIN",
        "Freight train",
        "other",
        1,
    ),
    Setting(
        "INLAND_MOBILE", "Inland (mobile unit)", "Motorway near {city}", "3", "Road transport", "VAN", "Van", "plate", 2
    ),
)
DETECTION = {
    "XRAY": "X-ray / scanner",
    "SNIFFER_DOG": "Sniffer dog",
    "PHYSICAL": "Physical examination",
    "DOCUMENT_CHECK": "Document check",
    "RISK_PROFILING": "Risk profiling",
    "INTELLIGENCE": "Intelligence",
}
SELECTION = {
    "RISK_PROFILE": "Risk profile / targeting",
    "ADVANCE_INFORMATION": "Advance cargo or passenger information",
    "INTELLIGENCE": "Intelligence",
    "RANDOM": "Random selection",
}
CONCEALMENT = {
    "CONV_NATURAL_VOID": "Natural void of the conveyance",
    "CONV_CONTAINER": "Container structure (floor, walls, reefer unit)",
    "GOODS_MIXED": "Mixed in legitimate goods",
    "BAG_AMONG_CONTENTS": "Among personal belongings",
    "POST_PARCEL": "In a parcel",
    "PERSON_BODY": "Body concealment (strapped to the body)",
}
DIRECTIONS = {"IMPORT": "Import", "EXPORT": "Export", "TRANSIT": "Transit"}
CURRENCIES = {"EUR": "Euro", "USD": "US Dollar"}

CITIES = {
    "FR": ("Le Havre", "Marseille", "Paris", "Lyon", "Calais"),
    "DE": ("Hamburg", "Bremerhaven", "Frankfurt", "Munich", "Leipzig"),
    "NL": ("Rotterdam", "Amsterdam", "Venlo"),
    "BE": ("Antwerp", "Zeebrugge", "Liège"),
    "ES": ("Algeciras", "Valencia", "Madrid", "Barcelona"),
    "IT": ("Gioia Tauro", "Genoa", "Milan", "Rome"),
    "GB": ("Felixstowe", "London", "Dover"),
    "KZ": ("Almaty", "Astana", "Khorgos", "Aktau"),
    "RU": ("Saint Petersburg", "Moscow", "Novorossiysk"),
    "UZ": ("Tashkent", "Samarkand"),
    "KG": ("Bishkek", "Osh"),
    "PL": ("Gdańsk", "Warsaw", "Terespol"),
}
STATUS_WEIGHTS = (
    (ReportStatus.DRAFT, 8),
    (ReportStatus.SUBMITTED, 14),
    (ReportStatus.RETURNED, 5),
    (ReportStatus.APPROVED, 68),
    (ReportStatus.WITHDRAWN, 5),
)
FAMILY_NAMES = ("Moreau", "Novak", "Schmidt", "Garcia", "Ivanov", "Rossi", "Kowalski", "Yilmaz", "Dubois", "Petrov")
GIVEN_NAMES = ("Alex", "Maria", "Jan", "Elena", "Omar", "Sofia", "Luca", "Nina", "Tomas", "Aida")
TRANSIT = ("NL", "BE", "ES", "TR", "AE", "PA", "MA", "PL", "LT", "SG", "GE")
CONTAINER_OWNERS = ("MSCU", "MAEU", "CMAU", "HLXU", "TGHU", "COSU")


def _ensure(model: Any, code: str, **defaults: Any) -> Any:
    term, _ = model.objects.get_or_create(code=code, defaults=defaults)
    return term


@dataclass
class Vocabulary:
    """Primary keys of the demo's vocabulary, by code."""

    units: dict[str, Any]
    categories: dict[str, int]
    types: dict[str, int]
    hs: dict[str, int]
    locations: dict[str, int]
    modes: dict[str, int]
    conveyances: dict[str, int]
    detection: list[int]
    selection: list[int]
    concealment: list[int]
    directions: list[int]
    currencies: dict[str, int]


def ensure_vocabulary() -> Vocabulary:
    """Look up (create if absent) every vocabulary row the demo uses."""
    units = {
        code: _ensure(Unit, code, label=label, dimension=dim, factor=factor)
        for code, (label, dim, factor) in UNITS.items()
    }
    areas = {code: _ensure(EnforcementArea, code, label=label) for code, label in AREAS.items()}
    categories = {
        code: _ensure(CommodityCategory, code, label=label, enforcement_area=areas[area])
        for code, (label, area) in CATEGORIES.items()
    }
    types = {
        c.code: _ensure(
            CommodityType, c.code, label=c.label, category=categories[c.category], default_unit=units[c.unit]
        )
        for c in COMMODITIES
    }
    hs = {code: _ensure(HSCode, code, label=label, level=4).pk for code, label in HS_LABELS.items()}
    modes = {s.mode: _ensure(TransportMode, s.mode, label=s.mode_label).pk for s in SETTINGS}
    return Vocabulary(
        units=units,
        categories={code: term.pk for code, term in categories.items()},
        types={code: term.pk for code, term in types.items()},
        hs=hs,
        locations={s.location: _ensure(LocationType, s.location, label=s.location_label).pk for s in SETTINGS},
        modes=modes,
        conveyances={
            s.conveyance: _ensure(ConveyanceType, s.conveyance, label=s.conveyance_label).pk for s in SETTINGS
        },
        detection=[_ensure(DetectionMethod, code, label=label).pk for code, label in DETECTION.items()],
        selection=[_ensure(SelectionBasis, code, label=label).pk for code, label in SELECTION.items()],
        concealment=[_ensure(ConcealmentMethod, code, label=label).pk for code, label in CONCEALMENT.items()],
        directions=[_ensure(Direction, code, label=label).pk for code, label in DIRECTIONS.items()],
        currencies={code: _ensure(Currency, code, label=label).pk for code, label in CURRENCIES.items()},
    )


@dataclass
class Staff:
    """Who may appear as author and reviewer, per administration and region."""

    officers: dict[int, list[int]]
    analysts: dict[int, list[int]]


def _staff() -> Staff:
    officers: dict[int, list[int]] = {}
    analysts: dict[int, list[int]] = {}
    for pk, role, administration_id, region_id in User.objects.filter(is_active=True).values_list(
        "pk", "role", "administration_id", "region_id"
    ):
        if role in (Role.OFFICER, Role.NATIONAL_COORDINATOR) and administration_id:
            officers.setdefault(administration_id, []).append(pk)
        elif role == Role.RILO_ANALYST and region_id:
            analysts.setdefault(region_id, []).append(pk)
    return Staff(officers=officers, analysts=analysts)


# --- rows, written with COPY ------------------------------------------------------------------
# A report and its parts are written in the columns of the field catalogue (apps.reports.catalogue):
# the generator builds each row as a dict keyed by field name, laid out in the catalogue's order, and a
# field it does not generate takes its model default (NULL or blank text when it has none; a field that
# can be neither is an error naming it). Adding a field to a part needs no change here: the catalogue
# line that declares it adds the column. The other tables (review events, detection methods, duplicate
# candidates) are not report fields: their columns are listed below and checked against the models.


@dataclass(frozen=True)
class Layout:
    """The COPY columns of one part of a report, and how a row given as a dict becomes a tuple in them."""

    part: str
    model: type[Model]
    names: tuple[str, ...]  # the row's keys, in column order: its key ("id" or "report"), then the catalogue's
    columns: tuple[str, ...]
    defaults: dict[str, Any]  # what a field the generator leaves out is written as
    makers: tuple[tuple[str, Callable[[], Any]], ...]  # the same, for callable model defaults
    ordered: Callable[[dict[str, Any]], tuple[Any, ...]]  # a full row's values, in column order

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """``values`` in the column order; a field left out takes its default."""
        full = {**self.defaults, **values}
        for name, make in self.makers:
            if name not in values:
                full[name] = make()
        try:
            return self.ordered(full)  # type: ignore[no-any-return]
        except KeyError as missing:
            raise RuntimeError(
                f"the demo does not write {self.model.__name__}.{missing.args[0]}, which has no default"
            ) from None


def _stored(model: type[Model], declared: Field) -> DjangoField | None:
    """The model field behind a catalogue field written as a column of the part's table, or None
    (many-to-many terms are a table of their own; the search vector is computed when reports are inserted)."""
    if declared.kind == "search":
        return None
    field = model._meta.get_field(declared.name)
    if not isinstance(field, DjangoField) or field.many_to_many or not field.concrete:
        return None
    return field


def _default(field: DjangoField) -> tuple[bool, Any]:
    """Whether ``field`` has a value to write when the generator leaves it out, and that value (or maker)."""
    if field.has_default():
        if callable(field.default):
            return True, lambda: field.get_db_prep_save(field.get_default(), connection)
        return True, field.get_db_prep_save(field.get_default(), connection)
    value = field.get_default()  # "" for text that may be blank, else None
    if value is None and not field.null:
        return False, None
    return True, value


def layout(part: str) -> Layout:
    """The columns of ``part`` ("report", "item", ...) as the catalogue declares them, read afresh."""
    model = catalogue.part(part).model
    key = cast("DjangoField", model._meta.get_field("id" if part == "report" else "report"))  # its own key or report
    declared = [field for item in catalogue.fields(part, editable=None) if (field := _stored(model, item))]
    fields: list[DjangoField] = [key, *declared]
    defaults: dict[str, Any] = {}
    makers: list[tuple[str, Callable[[], Any]]] = []
    for field in declared:
        known, value = _default(field)
        if not known:
            continue
        if callable(value):
            makers.append((field.name, value))
        else:
            defaults[field.name] = value
    names = tuple(field.name for field in fields)
    return Layout(
        part=part,
        model=model,
        names=names,
        columns=tuple(field.column for field in fields),
        defaults=defaults,
        makers=tuple(makers),
        ordered=itemgetter(*names),
    )


@cache
def layouts() -> dict[str, Layout]:
    """The layout of each part of a report, by part name (computed once: the catalogue is static)."""
    return {name: layout(name) for name in ("report", *catalogue.ROW_PARTS)}


EVENT_COLUMNS = (
    "report_id",
    "transition",
    "from_status",
    "to_status",
    "version",
    "actor_id",
    "comment",
    "at",
    "free_text_checked",
)
DETECTION_COLUMNS = ("report_id", "detectionmethod_id")
CANDIDATE_COLUMNS = ("report_id", "candidate_id", "reasons", "found_at")
# The key of each part's rows in a batch.
PART_TABLES = {"report": "reports", "item": "items", "route": "route", "conveyance": "conveyances", "party": "parties"}


@cache
def tables() -> tuple[tuple[str, Any, tuple[str, ...]], ...]:
    """Per table written: the batch's key for its rows, its model and its columns (reports first)."""
    parts = layouts()
    return (
        *((PART_TABLES[name], parts[name].model, parts[name].columns) for name in PART_TABLES),
        ("events", ReviewEvent, EVENT_COLUMNS),
        ("detection", Report.detection_methods.through, DETECTION_COLUMNS),
        ("candidates", DuplicateCandidate, CANDIDATE_COLUMNS),
    )


COUNTED_UNITS = frozenset({"H87", "U2", "PR", "STK"})


def _check_columns() -> None:
    """Every column the demo writes exists, and every NOT NULL column without a default is written."""
    for _name, model, columns in tables():
        fields = {f.column: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise RuntimeError(f"{model.__name__} has no column(s) {sorted(unknown)}")
        missing = [
            column
            for column, f in fields.items()
            if column not in columns and not f.null and not f.primary_key and column != "search_vector"
        ]
        if missing:
            raise RuntimeError(f"the demo does not write {model.__name__}'s required column(s) {missing}")


def _or_none(ids: list[int]) -> list[int | None]:
    return [*ids] if ids else [None]


class _Generator:
    """Builds the rows of one batch of reports: each row as a dict by field name, laid out in its table's columns."""

    def __init__(self, rng: random.Random, vocab: Vocabulary, administrations: Sequence[Administration], staff: Staff):
        self.rng = rng
        self.vocab = vocab
        self.staff = staff
        self.layouts = layouts()
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.commodity_weights = list(itertools.accumulate(c.weight for c in COMMODITIES))
        self.setting_weights = list(itertools.accumulate(s.weight for s in SETTINGS))
        self.statuses = [s.value for s, _ in STATUS_WEIGHTS]
        self.status_weights = list(itertools.accumulate(w for _, w in STATUS_WEIGHTS))
        self.units = {code: (unit.pk, unit.factor, unit.dimension) for code, unit in vocab.units.items()}
        self.reference_counter: dict[int, int] = {}
        # National references must stay unique when the demo is seeded more than once.
        self.reference_base = uuid.uuid4().hex[:6].upper()
        self.places: list[tuple[Any, ...]] = []
        for administration in administrations:
            country = str(administration.country)
            self.places.append(
                (
                    administration.pk,
                    (administration.code or country).upper()[:6],
                    country,
                    CITIES.get(country, (administration.country.name,)),
                    _or_none(staff.officers.get(administration.pk, [])),
                    _or_none(staff.analysts.get(administration.region_id, [])),
                )
            )
        self.legal = [choice.value for choice in LegalFollowUp]
        self.eur = vocab.currencies["EUR"]
        self.midnight = dt.datetime.combine(self.today, dt.time(0), tzinfo=dt.UTC)

    def _quantity(self, commodity: Commodity) -> Decimal:
        value = commodity.median * math.exp(self.rng.gauss(0, commodity.spread) * 0.6)
        if commodity.unit in COUNTED_UNITS:
            return Decimal(max(1, round(value)))
        return Decimal(f"{max(value, 0.001):.3f}")

    def _attributes(self, commodity: Commodity, quantity: Decimal) -> str:
        values: dict[str, Any] = {}
        for name, choices in commodity.attributes:
            if choices is None:
                values[name] = int(quantity)
            elif len(choices) == 2 and all(type(c) is int for c in choices):
                values[name] = self.rng.randint(*choices)
            else:
                values[name] = self.rng.choice(choices)
        return json.dumps(values)

    def _item(
        self, report_id: int, position: int, commodity: Commodity, quantity: Decimal | None = None
    ) -> dict[str, Any]:
        rng = self.rng
        random_ = rng.random
        quantity = quantity if quantity is not None else self._quantity(commodity)
        unit_id, factor, dimension = self.units[commodity.unit]
        normalised = (quantity * factor).quantize(Decimal("0.000001")) if factor is not None else None
        value = Decimal(f"{float(quantity) * rng.uniform(0.5, 40):.2f}") if random_() < 0.6 else None
        return {
            "report": report_id,
            "position": position,
            "commodity_category": self.vocab.categories[commodity.category],
            "commodity_type": self.vocab.types[commodity.code],
            "hs_code": self.vocab.hs[commodity.hs],
            "description": rng.choice(commodity.descriptions),
            "quantity": quantity,
            "unit": unit_id,
            "normalised_quantity": normalised,
            "normalised_dimension": dimension if normalised is not None else "",
            "packages_count": rng.randint(1, 400) if random_() < 0.5 else None,
            "estimated_value": value,
            "currency": self.eur if value is not None else None,
            "brand": rng.choice(commodity.brands),
            "genuineness": (
                Genuineness.COUNTERFEIT.value if commodity.category == "IPR" else rng.choice(("genuine", "unknown"))
            ),
            "country_of_manufacture": rng.choice(commodity.origins) if random_() < 0.4 else "",
            "concealment_method": rng.choice(self.vocab.concealment) if random_() < 0.8 else None,
            "attributes": self._attributes(commodity, quantity),
        }

    def _identifier(self, kind: str) -> str:
        rng = self.rng
        if kind == "container":
            return f"{rng.choice(CONTAINER_OWNERS)}{rng.randrange(10_000_000):07d}"
        if kind == "flight":
            return f"{rng.choice(('AF', 'LH', 'TK', 'EK', 'KC', 'SU'))}{rng.randint(10, 9999)}"
        if kind == "awb":
            return f"{rng.randint(100, 999)}{rng.randrange(100_000_000):08d}"
        if kind == "plate":
            letters = "ABCDEFGHJKLMNPRSTVWXYZ"
            head, tail = "".join(rng.choices(letters, k=2)), "".join(rng.choices(letters, k=2))
            return f"{head}{rng.randint(100, 999)}{tail}"
        if kind == "postal":
            return f"R{rng.choice(('R', 'L', 'E'))}{rng.randrange(1_000_000_000):09d}CN"
        return f"WAGON{rng.randint(10_000, 99_999)}"

    def build(self, ids: Sequence[int]) -> dict[str, list[tuple]]:
        """The rows of one report per id in ``ids`` (some of them near-duplicates of the one before), each
        table's rows in its columns."""
        rng = self.rng
        random_ = rng.random
        out: dict[str, list[tuple]] = {name: [] for name, _model, _columns in tables()}
        index = 0
        while index < len(ids):
            place = rng.choice(self.places)
            status = rng.choices(self.statuses, cum_weights=self.status_weights)[0]
            commodity = rng.choices(COMMODITIES, cum_weights=self.commodity_weights)[0]
            setting = rng.choices(SETTINGS, cum_weights=self.setting_weights)[0]
            report_id = ids[index]
            index += 1
            report = self._report(report_id, place, status, commodity, setting, None)
            first_item = self._item(report_id, 1, commodity)
            items = [first_item]
            for position in range(2, 2 + (random_() < 0.25) + (random_() < 0.05)):
                other = rng.choices(COMMODITIES, cum_weights=self.commodity_weights)[0]
                items.append(self._item(report_id, position, other))
            conveyance = None
            if random_() < 0.65:
                conveyance = {
                    "report": report_id,
                    "transport_mode": self.vocab.modes[setting.mode],
                    "conveyance_type": self.vocab.conveyances[setting.conveyance],
                    "identifier_type": setting.identifier_type,
                    "identifier": self._identifier(setting.identifier_type),
                    "flag_country": rng.choice(("PA", "LR", "MT", "", "")) if setting.mode == "1" else "",
                }
            self._add(out, report, place, items, commodity, conveyance)
            # The same seizure entered twice (national system and web form): a near-duplicate.
            if status != ReportStatus.DRAFT and index < len(ids) and random_() < 0.03:
                twin_id = ids[index]
                index += 1
                shift = dt.timedelta(days=rng.choice((-1, 0, 1)))
                twin = self._report(
                    twin_id,
                    place,
                    ReportStatus.SUBMITTED.value,
                    commodity,
                    setting,
                    min(self.today, report["seizure_date"] + shift),
                )
                quantity = (first_item["quantity"] * Decimal(str(rng.uniform(0.95, 1.05)))).quantize(
                    Decimal("1") if commodity.unit in COUNTED_UNITS else Decimal("0.001")
                )
                twin_conveyance = {**conveyance, "report": twin_id} if conveyance is not None else None
                self._add(
                    out,
                    twin,
                    place,
                    [self._item(twin_id, 1, commodity, max(quantity, Decimal("1")))],
                    commodity,
                    twin_conveyance,
                )
                out["candidates"].append((twin_id, report_id, '["date_country_commodity_quantity"]', self.now))
        return out

    def _report(
        self,
        report_id: int,
        place: tuple,
        status: str,
        commodity: Commodity,
        setting: Setting,
        seizure_date: dt.date | None,
    ) -> dict[str, Any]:
        rng = self.rng
        random_ = rng.random
        administration_id, code, country, cities, officers, analysts = place
        if seizure_date is None:
            seizure_date = self.today - dt.timedelta(days=int(rng.triangular(0, 1100, 0)))
        city = rng.choice(cities)
        author = rng.choice(officers)
        submitted_at = approved_at = approver = None
        if status != ReportStatus.DRAFT:
            days_ago = (self.today - seizure_date).days
            submitted_at = self.midnight - dt.timedelta(days=days_ago) + dt.timedelta(hours=rng.randint(9, 24 * 10))
            submitted_at = min(submitted_at, self.now)
            if status in (ReportStatus.APPROVED, ReportStatus.WITHDRAWN):
                approved_at = min(submitted_at + dt.timedelta(hours=rng.randint(1, 72)), self.now)
                approver = rng.choice(analysts)
        full = random_() < 0.7
        n = self.reference_counter.get(administration_id, 0) + 1
        self.reference_counter[administration_id] = n
        return {
            "id": report_id,
            "uuid": uuid.uuid4(),  # globally unique whatever the seed
            "created_at": self.now,
            "updated_at": self.now,
            "administration": administration_id,
            "kind": ReportKind.OFFENCE.value if random_() < 0.06 else ReportKind.SEIZURE.value,
            "form_variant": FormVariant.FULL.value if full else FormVariant.SIMPLIFIED.value,
            "national_reference": f"{code}-{seizure_date.year}-{self.reference_base}-{n:06d}",
            "status": status,
            "version": 2 if status == ReportStatus.APPROVED and random_() < 0.08 else 1,
            "seizure_date": seizure_date,
            "seizure_time": dt.time(rng.randrange(24), rng.choice((0, 15, 30, 45))) if random_() < 0.5 else None,
            "country_of_seizure": country,
            "customs_office": f"{city} customs office",
            "place": setting.place.format(city=city),
            "location_type": self.vocab.locations[setting.location],
            "direction": rng.choice(self.vocab.directions),
            "transport_mode": self.vocab.modes[setting.mode],
            "conveyance_type": self.vocab.conveyances[setting.conveyance],
            "selection_basis": rng.choice(self.vocab.selection) if full else None,
            "modus_operandi": f"{commodity.descriptions[0]}; found during a {setting.location_label.lower()} control.",
            "number_of_offenders": rng.choice((0, 1, 1, 1, 2, 3)),
            "legal_follow_up": rng.choice(self.legal),
            "created_by": author,
            "submitted_by": author if submitted_at else None,
            "submitted_at": submitted_at,
            "approved_by": approver,
            "approved_at": approved_at,
        }

    def _add(
        self,
        out: dict[str, list[tuple]],
        report: dict[str, Any],
        place: tuple,
        items: list[dict[str, Any]],
        commodity: Commodity,
        conveyance: dict[str, Any] | None,
    ) -> None:
        rng = self.rng
        parts = self.layouts
        report_id, country, status = report["id"], report["country_of_seizure"], report["status"]
        out["reports"].append(parts["report"].row(report))
        item_row = parts["item"].row
        out["items"].extend(item_row(item) for item in items)
        if conveyance is not None:
            out["conveyances"].append(parts["conveyance"].row(conveyance))
        origin = rng.choice(commodity.origins)
        route = out["route"]
        route_row = parts["route"].row
        route.append(route_row({"report": report_id, "sequence": 1, "role": "origin", "country": origin}))
        sequence, departure = 1, ""
        # Most reports also say where the goods left from: the origin itself or a hub on the way.
        if rng.random() < 0.7:
            departure = origin if rng.random() < 0.5 else rng.choice(TRANSIT)
            if departure != country:
                sequence += 1
                route.append(
                    route_row({"report": report_id, "sequence": sequence, "role": "departure", "country": departure})
                )
        for transit in rng.sample(TRANSIT, k=rng.choice((0, 1, 1, 2))):
            if transit not in (origin, departure, country):
                sequence += 1
                route.append(
                    route_row({"report": report_id, "sequence": sequence, "role": "transit", "country": transit})
                )
        if rng.random() < 0.8:
            last = {"role": "destination", "country": country}
        else:
            last = {"role": "intended_destination", "country": rng.choice(TRANSIT)}
        route.append(route_row({"report": report_id, "sequence": sequence + 1, **last}))
        for method in rng.sample(self.vocab.detection, k=rng.choice((1, 1, 2))):
            out["detection"].append((report_id, method))
        offenders = report["number_of_offenders"]
        if offenders and rng.random() < 0.5:
            party_row = parts["party"].row
            for position in range(1, min(offenders, 2) + 1):
                out["parties"].append(
                    party_row(
                        {
                            "report": report_id,
                            "position": position,
                            "kind": PartyKind.PERSON.value,
                            "role": rng.choice(
                                (PartyRole.OFFENDER.value, PartyRole.COURIER.value, PartyRole.SUSPECT.value)
                            ),
                            "family_name": rng.choice(FAMILY_NAMES),
                            "given_names": rng.choice(GIVEN_NAMES),
                            "birth_date": dt.date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                            "nationality": rng.choice((origin, country)),
                            "sex": rng.choice(("F", "M")),
                        }
                    )
                )
        author, submitted_at = report["created_by"], report["submitted_at"]
        approver, approved_at = report["approved_by"], report["approved_at"]
        if author is None or submitted_at is None:
            return
        events = out["events"]
        events.append((report_id, "submit", "draft", "submitted", 1, author, "", submitted_at, False))
        reviewer = approver or rng.choice(place[5])
        if reviewer is None:
            return
        if status == ReportStatus.RETURNED:
            events.append(
                (
                    report_id,
                    "return",
                    "submitted",
                    "returned",
                    1,
                    reviewer,
                    "Please check the quantity.",
                    submitted_at,
                    False,
                )
            )
        if approved_at is not None:
            # The demo's free text is synthetic (no real person): its approvals check it, so a demo partner
            # without personal data receives descriptions and brands as a real one would after review.
            events.append((report_id, "approve", "submitted", "approved", 1, reviewer, "", approved_at, True))
        if status == ReportStatus.WITHDRAWN:
            events.append(
                (report_id, "withdraw", "approved", "withdrawn", 1, reviewer, "Entered in error.", approved_at, False)
            )


def _allocate_ids(cursor: Any, count: int) -> list[int]:
    """Report ids taken from the table's sequence, so children can be written in the same pass."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [Report._meta.db_table, count],
    )
    return [row[0] for row in cursor.fetchall()]


def copy_rows(cursor: Any, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Write ``rows`` (tuples in the order of ``columns``) into ``table`` with COPY, on psycopg's cursor."""
    if not rows:
        return
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


_STAGE = "demo_report_stage"


def _write(cursor: Any, rows: dict[str, list[tuple]]) -> None:
    """Children first (foreign keys are checked at commit), then the reports through a staging table,
    so each report row is written once, with its search vector, instead of inserted then updated."""
    for name, model, columns in tables():
        if name != "reports":
            copy_rows(cursor, model._meta.db_table, columns, rows[name])
    table = Report._meta.db_table
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    columns = layouts()["report"].columns
    copy_rows(cursor, _STAGE, columns, rows["reports"])
    names = ", ".join(columns)
    selected = ", ".join(f"r.{column}" for column in columns)
    cursor.execute(
        f"INSERT INTO {table} ({names}, search_vector) SELECT {selected}, {SEARCH_VECTOR_SQL} FROM {_STAGE} AS r"  # noqa: S608
    )


def _seed_batches(generator: _Generator, sizes: queue.SimpleQueue[int]) -> int:
    """Write batches until none is left; returns the number of reports written."""
    made = 0
    while True:
        try:
            size = sizes.get_nowait()
        except queue.Empty:
            return made
        with transaction.atomic(), connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's own cursor, for COPY
            _write(cursor, generator.build(_allocate_ids(cursor, size)))
        made += size


def seed_reports(*, count: int, rng_seed: int = 0, workers: int = 1) -> tuple[int, float]:
    """Add ``count`` synthetic reports across all administrations; returns (reports created, seconds taken).

    Rows are generated as dicts by field name, laid out in the field catalogue's columns (see
    :class:`Layout`) and written per batch with PostgreSQL COPY: ``bulk_create`` spent most of its
    time building model instances and SQL, several times slower than the target.
    History rows are not written for demo data. With ``workers`` > 1, that many threads write
    batches in parallel, each on its own database connection (so the administrations and users
    must be committed; inside a test transaction use one worker, which writes on the caller's
    connection).
    """
    started = time.perf_counter()
    administrations = list(Administration.objects.order_by("pk"))
    if not administrations:
        raise ValueError("There is no administration to seed reports for; create administrations first.")
    _check_columns()
    vocab = ensure_vocabulary()
    staff = _staff()
    sizes: queue.SimpleQueue[int] = queue.SimpleQueue()
    for offset in range(0, count, BATCH):
        sizes.put(min(BATCH, count - offset))

    def generator(index: int) -> _Generator:
        rng = random.Random(rng_seed * 1009 + index)  # noqa: S311 - synthetic demo data, not security
        return _Generator(rng, vocab, administrations, staff)

    if workers <= 1:
        made = _seed_batches(generator(0), sizes)
        return made, time.perf_counter() - started
    if connection.in_atomic_block:
        raise ValueError("Parallel seeding writes on new connections; call it outside a transaction.")
    results: list[int] = []
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            results.append(_seed_batches(generator(index), sizes))
        except BaseException as error:  # re-raised in the calling thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,), name=f"seed-{index}") for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return sum(results), time.perf_counter() - started
