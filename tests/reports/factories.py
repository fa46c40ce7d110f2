"""Factories for the reports tests: the few vocabulary rows they need, and reports in any state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

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
from apps.reports.choices import ReportStatus
from apps.reports.models import Conveyance, Report, ReportItem, RouteCountry
from tests.factories import AdministrationFactory


class VocabularyFactory(factory.django.DjangoModelFactory[Any]):
    class Meta:
        abstract = True
        django_get_or_create = ("code",)


class EnforcementAreaFactory(VocabularyFactory):
    class Meta:
        model = EnforcementArea

    code = "drugs"
    label = "Drugs"


class CommodityCategoryFactory(VocabularyFactory):
    class Meta:
        model = CommodityCategory

    code = "drugs"
    label = "Drugs"
    enforcement_area = factory.SubFactory(EnforcementAreaFactory)


class UnitFactory(VocabularyFactory):
    class Meta:
        model = Unit

    code = "KGM"
    label = "kilogram"
    dimension = Unit.Dimension.MASS
    factor = Decimal("1")


class CommodityTypeFactory(VocabularyFactory):
    class Meta:
        model = CommodityType

    code = "cocaine"
    label = "Cocaine"
    category = factory.SubFactory(CommodityCategoryFactory)
    default_unit = factory.SubFactory(UnitFactory)
    attributes_schema = factory.LazyFunction(
        lambda: {
            "type": "object",
            "properties": {
                "purity_percent": {"type": "number", "minimum": 0, "maximum": 100},
                "form": {"type": "string", "enum": ["powder", "liquid", "paste"]},
            },
            "additionalProperties": False,
        }
    )


class HSCodeFactory(VocabularyFactory):
    class Meta:
        model = HSCode

    code = "2939"
    label = "Alkaloids, natural or reproduced by synthesis"
    level = 4


class CurrencyFactory(VocabularyFactory):
    class Meta:
        model = Currency

    code = "EUR"
    label = "Euro"


class TransportModeFactory(VocabularyFactory):
    class Meta:
        model = TransportMode

    code = "1"
    label = "Maritime transport"


class ConveyanceTypeFactory(VocabularyFactory):
    class Meta:
        model = ConveyanceType

    code = "container-vessel"
    label = "Container vessel"


class DetectionMethodFactory(VocabularyFactory):
    class Meta:
        model = DetectionMethod

    code = "xray"
    label = "X-ray"


class LocationTypeFactory(VocabularyFactory):
    class Meta:
        model = LocationType

    code = "seaport"
    label = "Seaport"


class DirectionFactory(VocabularyFactory):
    class Meta:
        model = Direction

    code = "IMPORT"  # the shipped term
    label = "Import"


class SelectionBasisFactory(VocabularyFactory):
    class Meta:
        model = SelectionBasis

    code = "risk-profile"
    label = "Risk profile"


class ConcealmentMethodFactory(VocabularyFactory):
    class Meta:
        model = ConcealmentMethod

    code = "in-cargo"
    label = "Hidden in cargo"


def complete_fields(**overrides: Any) -> dict[str, Any]:
    """Report fields that satisfy the full form's submission requirements (as codes, like an upload)."""
    DetectionMethodFactory.create()
    LocationTypeFactory.create()
    DirectionFactory.create()
    TransportModeFactory.create()
    fields: dict[str, Any] = {
        "kind": "seizure",
        "form_variant": "full",
        "national_reference": "FR-2025-0001",
        "seizure_date": dt.date.today() - dt.timedelta(days=3),
        "country_of_seizure": "FR",
        "place": "Le Havre",
        "customs_office": "Le Havre port",
        "location_type": "seaport",
        "direction": "IMPORT",
        "transport_mode": "1",
        "detection_methods": ["xray"],
        "modus_operandi": "Courier Jean Dupont hid bricks in bananas",
    }
    fields.update(overrides)
    return fields


def item_row(**overrides: Any) -> dict[str, Any]:
    CommodityTypeFactory.create()
    HSCodeFactory.create()
    row: dict[str, Any] = {
        "commodity_category": "drugs",
        "commodity_type": "cocaine",
        "hs_code": "2939",
        "description": "White powder in bricks",
        "quantity": "120.5",
        "unit": "KGM",
        "brand": "Scorpion",
        "attributes": {"purity_percent": 82, "form": "powder"},
    }
    row.update(overrides)
    return row


ROUTE = [
    {"role": "origin", "country": "CO"},
    {"role": "transit", "country": "PA", "unlocode": "PAMIT"},
    {"role": "destination", "country": "FR", "unlocode": "FRLEH"},
]


class ReportFactory(factory.django.DjangoModelFactory[Report]):
    """A report written straight to the database in any state (for scope tests); services are tested apart."""

    class Meta:
        model = Report

    administration = factory.SubFactory(AdministrationFactory)
    national_reference = factory.Sequence(lambda n: f"REF-{n:05d}")
    status = ReportStatus.DRAFT
    seizure_date = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=10))
    country_of_seizure = factory.LazyAttribute(lambda o: o.administration.country)
    place = "Somewhere"
    modus_operandi = "Free text naming a person"


class ReportItemFactory(factory.django.DjangoModelFactory[ReportItem]):
    class Meta:
        model = ReportItem

    report = factory.SubFactory(ReportFactory)
    commodity_category = factory.SubFactory(CommodityCategoryFactory)
    commodity_type = factory.SubFactory(CommodityTypeFactory)
    quantity = Decimal("100")
    unit = factory.SubFactory(UnitFactory)
    normalised_quantity = factory.LazyAttribute(lambda o: o.quantity)
    normalised_dimension = Unit.Dimension.MASS


class RouteCountryFactory(factory.django.DjangoModelFactory[RouteCountry]):
    class Meta:
        model = RouteCountry

    report = factory.SubFactory(ReportFactory)
    sequence = 1
    role = "origin"
    country = "CO"


class ConveyanceFactory(factory.django.DjangoModelFactory[Conveyance]):
    class Meta:
        model = Conveyance

    report = factory.SubFactory(ReportFactory)
    identifier_type = "container"
    identifier = "MSCU1234565"
