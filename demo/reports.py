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
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
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
from apps.reports.choices import FormVariant, Genuineness, LegalFollowUp, PartyKind, PartyRole, ReportKind, ReportStatus
from apps.reports.models import (
    Conveyance,
    DuplicateCandidate,
    Party,
    Report,
    ReportItem,
    ReviewEvent,
    RouteCountry,
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
# Columns written per table; checked against the models at start so a model change cannot
# silently desynchronise them.
REPORT_COLUMNS = (
    "id",
    "uuid",
    "created_at",
    "updated_at",
    "administration_id",
    "kind",
    "form_variant",
    "national_reference",
    "status",
    "version",
    "seizure_date",
    "seizure_time",
    "country_of_seizure",
    "customs_office",
    "place",
    "location_type_id",
    "direction_id",
    "transport_mode_id",
    "conveyance_type_id",
    "selection_basis_id",
    "modus_operandi",
    "number_of_offenders",
    "legal_follow_up",
    "created_by_id",
    "submitted_by_id",
    "submitted_at",
    "approved_by_id",
    "approved_at",
)
ITEM_COLUMNS = (
    "report_id",
    "position",
    "commodity_category_id",
    "commodity_type_id",
    "hs_code_id",
    "description",
    "quantity",
    "unit_id",
    "normalised_quantity",
    "normalised_dimension",
    "packages_count",
    "estimated_value",
    "currency_id",
    "brand",
    "genuineness",
    "country_of_manufacture",
    "concealment_method_id",
    "concealment_detail",
    "attributes",
)
ROUTE_COLUMNS = ("report_id", "sequence", "role", "country", "place", "unlocode")
CONVEYANCE_COLUMNS = (
    "report_id",
    "transport_mode_id",
    "conveyance_type_id",
    "identifier_type",
    "identifier",
    "flag_country",
)
PARTY_COLUMNS = (
    "report_id",
    "position",
    "kind",
    "role",
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
)
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

TABLES: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("reports", Report, REPORT_COLUMNS),
    ("items", ReportItem, ITEM_COLUMNS),
    ("route", RouteCountry, ROUTE_COLUMNS),
    ("conveyances", Conveyance, CONVEYANCE_COLUMNS),
    ("parties", Party, PARTY_COLUMNS),
    ("events", ReviewEvent, EVENT_COLUMNS),
    ("detection", Report.detection_methods.through, DETECTION_COLUMNS),
    ("candidates", DuplicateCandidate, CANDIDATE_COLUMNS),
)
COUNTED_UNITS = frozenset({"H87", "U2", "PR", "STK"})


def _check_columns() -> None:
    """Every column the demo writes exists, and every NOT NULL column without a default is written."""
    for _name, model, columns in TABLES:
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
    """Builds the rows of one batch of reports as tuples (in the column orders above)."""

    def __init__(self, rng: random.Random, vocab: Vocabulary, administrations: Sequence[Administration], staff: Staff):
        self.rng = rng
        self.vocab = vocab
        self.staff = staff
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

    def _item(self, report_id: int, position: int, commodity: Commodity, quantity: Decimal | None = None) -> tuple:
        rng = self.rng
        random_ = rng.random
        quantity = quantity if quantity is not None else self._quantity(commodity)
        unit_id, factor, dimension = self.units[commodity.unit]
        normalised = (quantity * factor).quantize(Decimal("0.000001")) if factor is not None else None
        value = Decimal(f"{float(quantity) * rng.uniform(0.5, 40):.2f}") if random_() < 0.6 else None
        return (
            report_id,
            position,
            self.vocab.categories[commodity.category],
            self.vocab.types[commodity.code],
            self.vocab.hs[commodity.hs],
            rng.choice(commodity.descriptions),
            quantity,
            unit_id,
            normalised,
            dimension if normalised is not None else "",
            rng.randint(1, 400) if random_() < 0.5 else None,
            value,
            self.eur if value is not None else None,
            rng.choice(commodity.brands),
            Genuineness.COUNTERFEIT.value if commodity.category == "IPR" else rng.choice(("genuine", "unknown")),
            rng.choice(commodity.origins) if random_() < 0.4 else "",
            rng.choice(self.vocab.concealment) if random_() < 0.8 else None,
            "",
            self._attributes(commodity, quantity),
        )

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
        """The rows of one report per id in ``ids`` (some of them near-duplicates of the one before)."""
        rng = self.rng
        random_ = rng.random
        out: dict[str, list[tuple]] = {name: [] for name, _model, _columns in TABLES}
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
                conveyance = (
                    report_id,
                    self.vocab.modes[setting.mode],
                    self.vocab.conveyances[setting.conveyance],
                    setting.identifier_type,
                    self._identifier(setting.identifier_type),
                    rng.choice(("PA", "LR", "MT", "", "")) if setting.mode == "1" else "",
                )
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
                    min(self.today, report[10] + shift),
                )
                quantity = (first_item[6] * Decimal(str(rng.uniform(0.95, 1.05)))).quantize(
                    Decimal("1") if commodity.unit in COUNTED_UNITS else Decimal("0.001")
                )
                twin_conveyance = (twin_id, *conveyance[1:]) if conveyance is not None else None
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
    ) -> tuple:
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
        return (
            report_id,
            uuid.uuid4(),  # globally unique whatever the seed
            self.now,
            self.now,
            administration_id,
            ReportKind.OFFENCE.value if random_() < 0.06 else ReportKind.SEIZURE.value,
            FormVariant.FULL.value if full else FormVariant.SIMPLIFIED.value,
            f"{code}-{seizure_date.year}-{self.reference_base}-{n:06d}",
            status,
            2 if status == ReportStatus.APPROVED and random_() < 0.08 else 1,
            seizure_date,
            dt.time(rng.randrange(24), rng.choice((0, 15, 30, 45))) if random_() < 0.5 else None,
            country,
            f"{city} customs office",
            setting.place.format(city=city),
            self.vocab.locations[setting.location],
            rng.choice(self.vocab.directions),
            self.vocab.modes[setting.mode],
            self.vocab.conveyances[setting.conveyance],
            rng.choice(self.vocab.selection) if full else None,
            f"{commodity.descriptions[0]}; found during a {setting.location_label.lower()} control.",
            rng.choice((0, 1, 1, 1, 2, 3)),
            rng.choice(self.legal),
            author,
            author if submitted_at else None,
            submitted_at,
            approver,
            approved_at,
        )

    def _add(
        self,
        out: dict[str, list[tuple]],
        report: tuple,
        place: tuple,
        items: list[tuple],
        commodity: Commodity,
        conveyance: tuple | None,
    ) -> None:
        rng = self.rng
        report_id, country, status = report[0], report[12], report[8]
        out["reports"].append(report)
        out["items"].extend(items)
        if conveyance is not None:
            out["conveyances"].append(conveyance)
        origin = rng.choice(commodity.origins)
        route = out["route"]
        route.append((report_id, 1, "origin", origin, "", ""))
        sequence = 1
        for transit in rng.sample(TRANSIT, k=rng.choice((0, 1, 1, 2))):
            if transit not in (origin, country):
                sequence += 1
                route.append((report_id, sequence, "transit", transit, "", ""))
        if rng.random() < 0.8:
            route.append((report_id, sequence + 1, "destination", country, "", ""))
        else:
            route.append((report_id, sequence + 1, "intended_destination", rng.choice(TRANSIT), "", ""))
        for method in rng.sample(self.vocab.detection, k=rng.choice((1, 1, 2))):
            out["detection"].append((report_id, method))
        offenders = report[21]
        if offenders and rng.random() < 0.5:
            for position in range(1, min(offenders, 2) + 1):
                out["parties"].append(
                    (
                        report_id,
                        position,
                        PartyKind.PERSON.value,
                        rng.choice((PartyRole.OFFENDER.value, PartyRole.COURIER.value, PartyRole.SUSPECT.value)),
                        rng.choice(FAMILY_NAMES),
                        rng.choice(GIVEN_NAMES),
                        dt.date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                        rng.choice((origin, country)),
                        rng.choice(("F", "M")),
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                    )
                )
        author, submitted_at, approver, approved_at = report[23], report[25], report[26], report[27]
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


def _copy(cursor: Any, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    if not rows:
        return
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


_STAGE = "demo_report_stage"


def _write(cursor: Any, rows: dict[str, list[tuple]]) -> None:
    """Children first (foreign keys are checked at commit), then the reports through a staging table,
    so each report row is written once, with its search vector, instead of inserted then updated."""
    for name, model, columns in TABLES:
        if name != "reports":
            _copy(cursor, model._meta.db_table, columns, rows[name])
    table = Report._meta.db_table
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    _copy(cursor, _STAGE, REPORT_COLUMNS, rows["reports"])
    names = ", ".join(REPORT_COLUMNS)
    selected = ", ".join(f"r.{column}" for column in REPORT_COLUMNS)
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

    Rows are generated as tuples and written per batch with PostgreSQL COPY: ``bulk_create`` spent
    most of its time building model instances and SQL, several times slower than the target.
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
