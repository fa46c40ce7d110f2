"""Reference terms and reports for the report UI tests (rows made directly: these are fixtures)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from apps.reference.models import (
    CommodityCategory,
    CommodityType,
    Currency,
    DetectionMethod,
    Direction,
    EnforcementArea,
    HSCode,
    LocationType,
    TransportMode,
    Unit,
)
from apps.reports.choices import FormVariant, ReportStatus
from apps.reports.models import Report, ReportItem
from apps.reports.search import refresh_search_vectors
from apps.tenancy.models import Administration


@dataclass
class Vocabulary:
    drugs: CommodityCategory
    tobacco: CommodityCategory
    cocaine: CommodityType
    cannabis: CommodityType
    cigarettes: CommodityType
    kg: Unit
    gram: Unit
    sticks: Unit
    litre: Unit
    sea: TransportMode
    road: TransportMode
    air: TransportMode
    xray: DetectionMethod
    dog: DetectionMethod
    seaport: LocationType
    import_: Direction
    eur: Currency
    hs_cigarettes: HSCode
    hs_tobacco: HSCode


def _term(model: Any, code: str, label: str, **extra: Any) -> Any:
    term, _ = model.objects.get_or_create(code=code, defaults={"label": label, **extra})
    return term


def make_vocabulary() -> Vocabulary:
    """A few terms of each vocabulary, created if the reference data migrations did not already."""
    area = _term(EnforcementArea, "drugs", "Drugs")
    revenue = _term(EnforcementArea, "revenue", "Revenue")
    drugs = _term(CommodityCategory, "drugs", "Drugs", enforcement_area=area)
    tobacco = _term(CommodityCategory, "tobacco", "Tobacco", enforcement_area=revenue)
    kg = _term(Unit, "KGM", "kilogram", symbol="kg", dimension=Unit.Dimension.MASS, factor=Decimal(1))
    gram = _term(Unit, "GRM", "gram", symbol="g", dimension=Unit.Dimension.MASS, factor=Decimal("0.001"))
    sticks = _term(Unit, "STK", "stick", dimension=Unit.Dimension.STICKS, factor=Decimal(1))
    litre = _term(Unit, "LTR", "litre", symbol="l", dimension=Unit.Dimension.VOLUME, factor=Decimal(1))
    return Vocabulary(
        drugs=drugs,
        tobacco=tobacco,
        cocaine=_term(CommodityType, "cocaine", "Cocaine", category=drugs, default_unit=kg),
        cannabis=_term(CommodityType, "cannabis_resin", "Cannabis resin", category=drugs, default_unit=kg),
        cigarettes=_term(CommodityType, "cigarettes", "Cigarettes", category=tobacco, default_unit=sticks),
        kg=kg,
        gram=gram,
        sticks=sticks,
        litre=litre,
        sea=_term(TransportMode, "1", "Maritime transport"),
        road=_term(TransportMode, "3", "Road transport"),
        air=_term(TransportMode, "4", "Air transport"),
        xray=_term(DetectionMethod, "xray", "X-ray scanner"),
        dog=_term(DetectionMethod, "dog", "Detector dog"),
        seaport=_term(LocationType, "seaport", "Seaport"),
        import_=_term(Direction, "import", "Import"),
        eur=_term(Currency, "EUR", "Euro"),
        hs_cigarettes=_term(HSCode, "240220", "Cigarettes containing tobacco", level=6),
        hs_tobacco=_term(HSCode, "2402", "Cigars, cheroots, cigarillos and cigarettes", level=4),
    )


_counter = iter(range(1, 1_000_000))


def make_report(
    administration: Administration,
    vocabulary: Vocabulary,
    *,
    status: str = ReportStatus.SUBMITTED,
    reference: str | None = None,
    items: int = 1,
    description: str = "",
    brand: str = "Marlboro",
    **fields: Any,
) -> Report:
    """A report of ``administration`` in ``status`` with ``items`` cigarette items."""
    number = next(_counter)
    values: dict[str, Any] = {
        "administration": administration,
        "national_reference": reference or f"{administration.country.code}-{number:05d}",
        "status": status,
        "form_variant": FormVariant.FULL,
        "seizure_date": dt.date(2025, 3, 1) + dt.timedelta(days=number % 200),
        "country_of_seizure": administration.country.code,
        "transport_mode": vocabulary.sea,
        "place": "Le Havre",
    }
    if status != ReportStatus.DRAFT:
        values["submitted_at"] = dt.datetime(2025, 4, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=number)
    values.update(fields)
    report = Report.objects.create(**values)
    for position in range(1, items + 1):
        ReportItem.objects.create(
            report=report,
            position=position,
            commodity_category=vocabulary.tobacco,
            commodity_type=vocabulary.cigarettes,
            quantity=Decimal(1000 * position),
            unit=vocabulary.sticks,
            normalised_quantity=Decimal(1000 * position),
            normalised_dimension=Unit.Dimension.STICKS,
            brand=brand,
            description=description or "Cigarettes in a container",
        )
    refresh_search_vectors([report.pk])
    return report


def draft_by(actor: Any, reference: str = "FR-2025-0001", **fields: Any) -> Report:
    """A complete draft made through the domain service, as the entry form makes it."""
    from apps.reports.services import report_create_draft

    values: dict[str, Any] = {
        "form_variant": "full",
        "national_reference": reference,
        "seizure_date": "2025-03-14",
        "country_of_seizure": actor.administration.country.code,
        "place": "Le Havre",
        "location_type": "seaport",
        "direction": "import",
        "transport_mode": "1",
        "detection_methods": ["xray"],
        "modus_operandi": "Hidden behind furniture",
        **fields,
    }
    return report_create_draft(
        actor=actor,
        fields=values,
        items=[
            {
                "commodity_category": "tobacco",
                "commodity_type": "cigarettes",
                "quantity": "200000",
                "unit": "STK",
                "brand": "Marlboro",
                "concealment_detail": "Inside the sofa of Mr Dupont",
            }
        ],
        route=[{"role": "origin", "country": "AE"}],
        conveyances=[{"identifier_type": "container", "identifier": "MSCU1234565"}],
        parties=[{"kind": "person", "family_name": "Dupont", "given_names": "Jean"}],
    )
