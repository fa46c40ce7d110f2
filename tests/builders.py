"""Reports, reference terms and partners for the tests of every app (and the exchange benchmark).

One builder makes reports, whatever the test needs: ``build_report(by=..., status=..., ...)``.

- What: a seizure of cigarettes at Le Havre (simplified form, by road, one item, a route from Jebel
  Ali, a lorry, an offender). ``items``, ``route``, ``conveyances`` and ``parties`` replace those
  parts (``cigarettes()`` and ``cocaine()`` make items; ``[]`` leaves a part out), any other keyword
  replaces a report field (``place=...``, ``seizure_date=...``, ``form_variant="full"``). Two other
  complete reports come as its keywords: ``complete_report()`` (full form, cocaine by sea, the
  report ``report_body`` pushes) and ``entry_form_report()`` (full form, a sofa of cigarettes, what
  the entry form's tests type), e.g. ``build_report(by=alice, through_services=True, **complete_report())``.
- How: ``through_services=True`` makes it with ``report_create_draft`` as its author ``by`` would,
  then takes it through the real workflow to ``status`` (the trail, audit and outbox rows are the
  services'; ``reviewer``, by default the region's analyst, returns or approves it). Otherwise (the
  default) its rows are written directly in ``status``: no validation, trail or audit, a few INSERTs,
  for tests that need many reports (lists, filters, search) or a state as the starting point
  (the exchange, whose ``approve``, ``correct`` and ``withdraw`` below then act through the real
  workflow services as the region's analyst and return the outbox event). Its terms
  (``vocabulary()``) are read once per test.

``ReportFactory`` and its parts' factories write rows with nothing but what a scope test needs.
``complete_fields``, ``item_row``, ``ROUTE``, ``CONVEYANCE`` and ``PARTY`` are a complete report as
input (the full form's submission requirements, as codes); ``report_body`` is that report as a pushing
system sends it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.caches import ProcessCache, process_cache
from apps.exchange.choices import PartnerState
from apps.exchange.models import OutboxEvent, PartnerSystem, SharingPolicy
from apps.exchange.selectors import partner_current_policy
from apps.exchange.services import partner_create, partner_policy_create, partner_state_set, partner_update
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
from apps.reports.choices import FormVariant, ReportStatus
from apps.reports.models import Conveyance, Party, Report, ReportItem, RouteCountry
from apps.reports.search import refresh_search_vectors
from apps.reports.services import (
    report_approve,
    report_correct,
    report_create_draft,
    report_return,
    report_send_for_review,
    report_withdraw,
)
from apps.tenancy.models import Administration, Region
from tests.factories import AdministrationFactory, UserFactory

# --- reference terms as factories (the shipped terms where codes agree) ---------------------------


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


# --- a report as input: fields, parts, and the body a pushing system sends ------------------------


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


PARTY = {
    "kind": "person",
    "role": "courier",
    "family_name": "Dupont",
    "given_names": "Jean",
    "birth_date": "1980-05-17",
    "nationality": "FR",
    "sex": "M",
    "id_document_type": "passport",
    "id_document_number": "19FR12345",
    "id_document_country": "FR",
}
CONVEYANCE = {"identifier_type": "container", "identifier": "MSCU 123456-5", "flag_country": "PA"}


def report_body(reference: str, **overrides: Any) -> dict[str, Any]:
    """A complete report as a pushing system sends it: codes, and labels where people would type them."""
    fields = complete_fields(national_reference=reference)
    body: dict[str, Any] = {
        **{name: value for name, value in fields.items() if name != "seizure_date"},
        "seizure_date": fields["seizure_date"].isoformat(),
        "items": [item_row()],
        "route": ROUTE,
        "conveyances": [CONVEYANCE],
        "parties": [PARTY],
    }
    body.update(overrides)
    return body


# --- reports written straight to the database, for lists and filters ------------------------------


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


# --- the one report builder -----------------------------------------------------------------------

# A seizure of cigarettes at Le Havre, the report every builder call starts from (its parts below).
PLACE = "Port of Le Havre, quay 4"
MODUS_OPERANDI = "Driver said his cousin Jean Dupont asked him to carry it"
OFFENDER = {
    "kind": "person",
    "family_name": "Martin",
    "given_names": "Paul",
    "birth_date": dt.date(1990, 5, 1),
    "nationality": "FR",
    "sex": "M",
    "id_document_type": "passport",
    "id_document_number": "12AB34567",
}
TRUCK = {"identifier_type": "plate", "identifier": "AB-123-CD", "flag_country": "FR"}


def _item(
    category: str, commodity_type: str, unit: str, quantity: Decimal | int | str, **fields: Any
) -> dict[str, Any]:
    terms = vocabulary()
    return {
        "commodity_category": terms[category],
        "commodity_type": terms[commodity_type],
        "quantity": Decimal(quantity),
        "unit": terms[unit],
        **fields,
    }


def cigarettes(sticks: int = 200_000, **overrides: Any) -> dict[str, Any]:
    """An item of ``sticks`` cigarettes, its terms as model rows (both paths of ``build_report`` take it)."""
    hidden = {
        "description": "Cigarettes hidden in a load of furniture",
        "concealment_detail": "Behind the panel the driver built himself",
    }
    return _item("tobacco", "cigarettes", "STK", sticks, **{**hidden, **overrides})


def cocaine(kg: Decimal | int | str, **overrides: Any) -> dict[str, Any]:
    """An item of ``kg`` kilograms of cocaine."""
    return _item("drugs", "cocaine", "KGM", kg, **overrides)


def complete_report(**fields: Any) -> dict[str, Any]:
    """``build_report``'s keywords for the complete report of ``complete_fields`` (full form, cocaine by sea)."""
    values = complete_fields(**fields)
    del values["national_reference"], values["country_of_seizure"]  # the builder's: the reference, by's country
    return {**values, "items": [item_row()], "route": ROUTE, "conveyances": [CONVEYANCE], "parties": [PARTY]}


def entry_form_report(**fields: Any) -> dict[str, Any]:
    """``build_report``'s keywords for the report the entry form's tests type (full form, a sofa full of cigarettes)."""
    return {
        "form_variant": FormVariant.FULL,
        "seizure_date": "2025-03-14",
        "place": "Le Havre",
        "customs_office": "",
        "number_of_offenders": None,
        "location_type": "seaport",
        "direction": "import",
        "transport_mode": "1",
        "detection_methods": ["xray"],
        "modus_operandi": "Hidden behind furniture",
        "items": [cigarettes(brand="Marlboro", description="", concealment_detail="Inside the sofa of Mr Dupont")],
        "route": [{"role": "origin", "country": "AE"}],
        "conveyances": [{"identifier_type": "container", "identifier": "MSCU1234565"}],
        "parties": [{"kind": "person", "family_name": "Dupont", "given_names": "Jean"}],
        **fields,
    }


# Numbers references and submission times of reports written directly, so lists have an order.
_counter = iter(range(1, 1_000_000))


def build_report(
    *,
    by: User | Administration,
    reference: str | None = None,
    status: str = ReportStatus.SUBMITTED,
    through_services: bool = False,
    reviewer: User | None = None,
    items: Sequence[Mapping[str, Any]] | None = None,
    route: Sequence[Mapping[str, Any]] | None = None,
    conveyances: Sequence[Mapping[str, Any]] | None = None,
    parties: Sequence[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> Report:
    """A seizure report of ``by``'s administration in ``status`` (see the module docstring).

    ``items``, ``route``, ``conveyances`` and ``parties`` replace the default parts (``[]``: none);
    ``fields`` replace report fields. ``through_services``: made by the domain services as its author
    ``by`` (a user) would, then taken to ``status`` (``reviewer``, by default the region's analyst,
    returns or approves it); otherwise its rows are written directly (fast: no validation, trail,
    audit or outbox), ``by`` being the administration or one of its users.
    """
    administration = by if isinstance(by, Administration) else by.administration
    assert administration is not None, "only an administration's staff write reports"
    number = next(_counter)
    terms = vocabulary()
    values: dict[str, Any] = {
        "form_variant": FormVariant.SIMPLIFIED,
        "national_reference": reference or f"{administration.country.code}-{number:05d}",
        "seizure_date": dt.date(2025, 3, 14),
        "country_of_seizure": administration.country.code,
        "place": PLACE,
        "customs_office": "Le Havre port office",
        "modus_operandi": MODUS_OPERANDI,
        "number_of_offenders": 1,
        "transport_mode": terms["road"],
        "detection_methods": [terms["xray"]],
        **fields,
    }
    parts: dict[str, list[Mapping[str, Any]]] = {
        "items": list(items if items is not None else [cigarettes()]),
        "route": list(
            route
            if route is not None
            else [
                {"role": "origin", "country": "AE", "place": "Jebel Ali"},
                {"role": "destination", "country": administration.country.code},
            ]
        ),
        "conveyances": list(conveyances if conveyances is not None else [TRUCK]),
        "parties": list(parties if parties is not None else [OFFENDER]),
    }
    if through_services:
        assert isinstance(by, User), "the services act for a user"
        return _through_services(author=by, status=status, reviewer=reviewer, values=values, parts=parts)
    return _written_directly(administration=administration, number=number, status=status, values=values, parts=parts)


def _through_services(
    *,
    author: User,
    status: str,
    reviewer: User | None,
    values: dict[str, Any],
    parts: dict[str, list[Mapping[str, Any]]],
) -> Report:
    report = report_create_draft(
        actor=author,
        fields=values,
        items=parts["items"],
        route=parts["route"],
        conveyances=parts["conveyances"],
        parties=parts["parties"],
    )
    if status == ReportStatus.DRAFT:
        return report
    report_send_for_review(report=report, actor=author)
    reviewer = reviewer or analyst(report)
    if status == ReportStatus.RETURNED:
        report_return(report=report, actor=reviewer, comment="Check the quantity.")
    elif status == ReportStatus.APPROVED:
        report_approve(report=report, actor=reviewer)
    else:
        assert status == ReportStatus.SUBMITTED, (
            f"the builder takes a report to draft, submitted, returned or approved, not {status}"
        )
    return Report.objects.get(pk=report.pk)


def _written_directly(
    *,
    administration: Administration,
    number: int,
    status: str,
    values: dict[str, Any],
    parts: dict[str, list[Mapping[str, Any]]],
) -> Report:
    detection_methods = values.pop("detection_methods")
    if status != ReportStatus.DRAFT:
        values.setdefault("submitted_at", dt.datetime(2025, 4, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=number))
    report = Report.objects.create(administration=administration, status=status, **values)
    report.detection_methods.add(*detection_methods)
    ReportItem.objects.bulk_create(
        ReportItem(
            report=report,
            position=position,
            normalised_quantity=row["unit"].normalise(Decimal(row["quantity"])),
            normalised_dimension=row["unit"].dimension,
            **row,
        )
        for position, row in enumerate(parts["items"], start=1)
    )
    RouteCountry.objects.bulk_create(
        RouteCountry(report=report, sequence=sequence, **row) for sequence, row in enumerate(parts["route"], start=1)
    )
    Conveyance.objects.bulk_create(Conveyance(report=report, **row) for row in parts["conveyances"])
    Party.objects.bulk_create(
        Party(report=report, position=position, **row) for position, row in enumerate(parts["parties"], start=1)
    )
    refresh_search_vectors([report.pk])
    return report


# --- reports with every part, for the exchange; partners and their policies -----------------------


# Non-personal fields a CEN-like partner receives in these tests.
NON_PERSONAL_FIELDS = [
    "report.kind",
    "report.administration",
    "report.region",
    "report.country_of_seizure",
    "report.seizure_date",
    "report.place",
    "items.commodity_category",
    "items.commodity_type",
    "items.quantity",
    "items.unit",
    "items.normalised_quantity",
    "items.normalised_dimension",
    "items.description",
    "route.role",
    "route.country",
    "conveyances.identifier_type",
    "parties.role",
    "parties.age_band",
]


# The terms below, read (or made) once per test: the autouse fixture empties every process cache between tests.
_TERMS: ProcessCache[str, dict[str, Any]] = process_cache("tests.builders.vocabulary")


def vocabulary() -> dict[str, Any]:
    """The few vocabulary terms the tests use (get-or-create: the reference data may already hold them)."""
    known = _TERMS.get("terms")
    return known if known is not None else _TERMS.put("terms", _vocabulary())


def _vocabulary() -> dict[str, Any]:
    revenue, _ = EnforcementArea.objects.get_or_create(code="revenue", defaults={"label": "Revenue"})
    drugs_area, _ = EnforcementArea.objects.get_or_create(code="drugs", defaults={"label": "Drugs"})
    tobacco, _ = CommodityCategory.objects.get_or_create(
        code="tobacco", defaults={"label": "Tobacco", "enforcement_area": revenue}
    )
    drugs, _ = CommodityCategory.objects.get_or_create(
        code="drugs", defaults={"label": "Drugs", "enforcement_area": drugs_area}
    )
    cigarettes, _ = CommodityType.objects.get_or_create(
        code="cigarettes", defaults={"label": "Cigarettes", "category": tobacco}
    )
    cocaine, _ = CommodityType.objects.get_or_create(code="cocaine", defaults={"label": "Cocaine", "category": drugs})
    sticks, _ = Unit.objects.get_or_create(
        code="STK", defaults={"label": "Stick", "dimension": Unit.Dimension.STICKS, "factor": Decimal(1)}
    )
    kilograms, _ = Unit.objects.get_or_create(
        code="KGM", defaults={"label": "Kilogram", "dimension": Unit.Dimension.MASS, "factor": Decimal(1)}
    )
    road, _ = TransportMode.objects.get_or_create(code="3", defaults={"label": "Road transport"})
    xray, _ = DetectionMethod.objects.get_or_create(code="XRAY", defaults={"label": "X-ray / scanner"})
    return {
        "road": road,
        "xray": xray,
        "tobacco": tobacco,
        "drugs": drugs,
        "cigarettes": cigarettes,
        "cocaine": cocaine,
        "STK": sticks,
        "KGM": kilograms,
    }


def analyst(report: Report) -> User:
    """The RILO analyst of the report's region (erin for Western Europe, as in tests/conftest.py)."""
    name = "erin" if report.administration.region.code == "rilo-we" else f"analyst-{report.administration.region.code}"
    return UserFactory.create(username=name, role=Role.RILO_ANALYST, region=report.administration.region)


def _last_event(report: Report) -> OutboxEvent:
    return OutboxEvent.objects.filter(report_uuid=report.uuid).latest("pk")


def approve(report: Report, *, free_text_checked: bool = False) -> OutboxEvent:
    """Approve ``report`` through ``report_approve``; the outbox event written in its transaction.

    ``free_text_checked``: the analyst ticks "Free text checked: no personal data".
    """
    report_approve(report=report, actor=analyst(report), free_text_checked=free_text_checked)
    report.refresh_from_db()
    return _last_event(report)


def correct(report: Report, *, free_text_checked: bool = False, **fields: Any) -> OutboxEvent:
    """A new approved version of ``report`` through ``report_correct``."""
    report_correct(
        report=report,
        actor=analyst(report),
        reason="Recounted at the warehouse",
        fields=fields,
        free_text_checked=free_text_checked,
    )
    report.refresh_from_db()
    return _last_event(report)


def withdraw(report: Report) -> OutboxEvent:
    """Withdraw ``report`` through ``report_withdraw``: a tombstone for partners that received it."""
    report_withdraw(report=report, actor=analyst(report), reason="Entered in error")
    report.refresh_from_db()
    return _last_event(report)


def default_region() -> Region:
    """RILO Western Europe (as in tests/conftest.py), made if no fixture made it."""
    return Region.objects.get_or_create(code="rilo-we", defaults={"name": "RILO Western Europe"})[0]


def region_administrator(region: Region | None = None) -> User:
    """The RILO administrator of ``region`` (default: Western Europe) the builders act as, made once."""
    region = region or default_region()
    username = f"admin-{region.code}"
    existing = User.objects.filter(username=username).first()
    return existing or UserFactory.create(username=username, role=Role.RILO_ADMINISTRATOR, region=region)


def partner_system(*, region: Region | None = None, **values: Any) -> tuple[PartnerSystem, str]:
    """A partner of ``region`` registered by its RILO administrator (``values``: those of ``partner_create``)."""
    return partner_create(actor=region_administrator(region), **values)


def policy_version(*, partner: PartnerSystem, **spec: Any) -> SharingPolicy:
    """The next policy version of ``partner``, saved by its RILO administrator (``spec``: the policy's fields)."""
    current = partner_current_policy(partner=partner)
    return partner_policy_create(
        actor=region_administrator(partner.region),
        partner=partner,
        spec=spec,
        base_version=current.version if current else None,
    )


def partner_change(*, partner: PartnerSystem, **values: Any) -> PartnerSystem:
    """Change ``partner`` as its RILO administrator (``values``: those of ``partner_update``)."""
    changed, _ = partner_update(actor=region_administrator(partner.region), partner=partner, **values)
    return changed


def partner_disabled(*, partner: PartnerSystem, reason: str) -> PartnerSystem:
    """Disable ``partner`` as its RILO administrator."""
    return partner_state_set(
        actor=region_administrator(partner.region), partner=partner, state=PartnerState.DISABLED, reason=reason
    )


def webhook_partner(
    name: str,
    url: str,
    *,
    personal: bool = False,
    max_in_flight: int = 4,
    fields: list[str] | None = None,
    peer_identity: str = "",
    region: Region | None = None,
    **policy: Any,
) -> tuple[PartnerSystem, str, SharingPolicy]:
    """A webhook partner with a first policy sharing every report (unless ``policy`` narrows it).

    It belongs to ``region`` (by default RILO Western Europe, the region of the French and German
    reports): it receives that region's reports only, others' through agreements.
    """
    partner, secret = partner_system(
        region=region,
        name=name,
        adapter="webhook",
        endpoint_url=url,
        personal_data_allowed=personal,
        max_in_flight=max_in_flight,
        peer_identity=peer_identity,
    )
    version = policy_version(
        partner=partner,
        personal_data=personal,
        regions=policy.pop("regions", ["*"]),
        administrations=policy.pop("administrations", ["*"]),
        commodity_categories=policy.pop("commodity_categories", ["*"]),
        report_kinds=policy.pop("report_kinds", ["*"]),
        fields=fields if fields is not None else list(NON_PERSONAL_FIELDS),
        **policy,
    )
    return partner, secret, version


def next_policy_version(partner: PartnerSystem, **policy: Any) -> SharingPolicy:
    """A new policy version of ``partner`` sharing every report (unless ``policy`` narrows it)."""
    everything: dict[str, Any] = {
        "regions": ["*"],
        "administrations": ["*"],
        "commodity_categories": ["*"],
        "report_kinds": ["*"],
        "fields": list(NON_PERSONAL_FIELDS),
    }
    return policy_version(partner=partner, **{**everything, **policy})


# --- rows with nothing but what a scope test needs ------------------------------------------------


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
