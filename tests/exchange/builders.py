"""Reports, vocabulary terms and partners for the exchange tests (and the benchmark).

Reports are written straight to the database as submitted (fast), then go through the reports
app's real workflow services — ``report_approve``, ``report_correct``, ``report_withdraw`` — which
record the outbox events, acted by the region's analyst.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.exchange.choices import PartnerState
from apps.exchange.models import OutboxEvent, PartnerSystem, SharingPolicy
from apps.exchange.selectors import partner_current_policy
from apps.exchange.services import partner_create, partner_policy_create, partner_state_set, partner_update
from apps.reference.models import (
    CommodityCategory,
    CommodityType,
    DetectionMethod,
    EnforcementArea,
    TransportMode,
    Unit,
)
from apps.reports.choices import ReportStatus
from apps.reports.models import Conveyance, Party, Report, ReportItem, RouteCountry
from apps.reports.services import report_approve, report_correct, report_withdraw
from apps.tenancy.models import Administration, Region
from tests.factories import UserFactory

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


def vocabulary() -> dict[str, Any]:
    """The few vocabulary terms the tests use (get-or-create: the reference data may already hold them)."""
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
    return {
        "tobacco": tobacco,
        "drugs": drugs,
        "cigarettes": cigarettes,
        "cocaine": cocaine,
        "STK": sticks,
        "KGM": kilograms,
    }


def make_report(
    administration: Administration,
    *,
    reference: str,
    sticks: int | None = 200_000,
    cocaine_kg: Decimal | None = None,
    description: str = "Cigarettes hidden in a load of furniture",
    with_party: bool = True,
    status: str = ReportStatus.SUBMITTED,
) -> Report:
    """A submitted seizure report with items, a route, a conveyance and (by default) an offender."""
    terms = vocabulary()
    report = Report.objects.create(
        administration=administration,
        form_variant="simplified",
        national_reference=reference,
        status=status,
        seizure_date=dt.date(2025, 3, 14),
        country_of_seizure=administration.country,
        place="Port of Le Havre, quay 4",
        customs_office="Le Havre port office",
        modus_operandi="Driver said his cousin Jean Dupont asked him to carry it",
        number_of_offenders=1,
        transport_mode=TransportMode.objects.get_or_create(code="3", defaults={"label": "Road transport"})[0],
    )
    report.detection_methods.add(
        DetectionMethod.objects.get_or_create(code="XRAY", defaults={"label": "X-ray / scanner"})[0]
    )
    position = 1
    if sticks is not None:
        ReportItem.objects.create(
            report=report,
            position=position,
            commodity_category=terms["tobacco"],
            commodity_type=terms["cigarettes"],
            quantity=Decimal(sticks),
            unit=terms["STK"],
            normalised_quantity=Decimal(sticks),
            normalised_dimension=Unit.Dimension.STICKS,
            description=description,
            concealment_detail="Behind the panel the driver built himself",
        )
        position += 1
    if cocaine_kg is not None:
        ReportItem.objects.create(
            report=report,
            position=position,
            commodity_category=terms["drugs"],
            commodity_type=terms["cocaine"],
            quantity=cocaine_kg,
            unit=terms["KGM"],
            normalised_quantity=cocaine_kg,
            normalised_dimension=Unit.Dimension.MASS,
        )
    RouteCountry.objects.create(report=report, sequence=1, role="origin", country="AE", place="Jebel Ali")
    RouteCountry.objects.create(report=report, sequence=2, role="destination", country=administration.country)
    Conveyance.objects.create(report=report, identifier_type="plate", identifier="AB-123-CD", flag_country="FR")
    if with_party:
        Party.objects.create(
            report=report,
            family_name="Martin",
            given_names="Paul",
            birth_date=dt.date(1990, 5, 1),
            nationality="FR",
            sex="M",
            id_document_type="passport",
            id_document_number="12AB34567",
        )
    return report


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
