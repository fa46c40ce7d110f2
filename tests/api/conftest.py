"""API test helpers: a DRF client, tokens for personas, a few vocabulary terms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import token_issue
from apps.reference.models import (
    CommodityCategory,
    CommodityType,
    ConveyanceType,
    Currency,
    EnforcementArea,
    HSCode,
    TransportMode,
    Unit,
)
from apps.reports.models import Report
from apps.tenancy.models import Administration
from tests.factories import UserFactory

IssueToken = Callable[..., str]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def issue_token(db: None) -> IssueToken:
    """``issue_token(user, "read", "write")``: the plaintext of a new token (issued as by the command line)."""

    def issue(user: User, *scopes: str, days: int = 30, name: str = "test") -> str:
        _, plaintext = token_issue(
            user=user,
            name=name,
            scopes=scopes or ("read",),
            expires_at=timezone.now() + timedelta(days=days),
            actor=None,
        )
        return plaintext

    return issue


def bearer(plaintext: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


@pytest.fixture
def vocabularies(db: None) -> dict[str, object]:
    """A handful of terms across vocabularies, one of them retired, in place of the shipped ones.

    The shipped vocabularies are removed first (inside the test's transaction) so the assertions
    below speak of a small, known set.
    """
    CommodityType.objects.all().delete()
    CommodityCategory.objects.all().delete()
    EnforcementArea.objects.all().delete()
    ConveyanceType.objects.all().delete()
    TransportMode.objects.all().delete()
    Unit.objects.all().delete()
    Currency.objects.all().delete()
    for level in (6, 4, 2):
        HSCode.objects.filter(level=level).delete()
    drugs_area = EnforcementArea.objects.create(code="DRUGS", label="Drugs", sort_order=1)
    revenue = EnforcementArea.objects.create(code="REVENUE", label="Revenue", sort_order=2)
    retired = EnforcementArea.objects.create(code="OLD", label="Retired area", active=False, sort_order=3)
    drugs = CommodityCategory.objects.create(code="DRU", label="Drugs", enforcement_area=drugs_area, cen_code="D")
    tobacco = CommodityCategory.objects.create(code="TOB", label="Tobacco", enforcement_area=revenue)
    kilogram = Unit.objects.create(code="KGM", label="Kilogram", symbol="kg", dimension="mass", factor=Decimal(1))
    gram = Unit.objects.create(code="GRM", label="Gram", symbol="g", dimension="mass", factor=Decimal("0.001"))
    euro = Currency.objects.create(code="EUR", label="Euro", numeric_code="978", minor_units=2)
    chapter = HSCode.objects.create(code="24", label="Tobacco", level=2, section="IV")
    heading = HSCode.objects.create(code="2402", label="Cigars, cigarettes", level=4, section="IV", parent=chapter)
    road = TransportMode.objects.create(code="3", label="Road transport")
    return locals()


# --- reports ---------------------------------------------------------------------------------------


@pytest.fixture
def nsys(france: Administration) -> User:
    """The French national system: a partner system account attached to French Customs, pushing its reports."""
    return UserFactory.create(username="nsys", role=Role.PARTNER_SYSTEM, administration=france)


@pytest.fixture
def world(alice: User, bob: User, dmitri: User, erin: User, farid: User) -> dict[str, Report]:
    """Reports of France and Germany (RILO Western Europe) and Kazakhstan (RILO CIS) in the states that matter."""
    from .report_world import make_report

    return {
        "fr_draft": make_report(alice, "ISO-FR-DRAFT"),
        "fr_submitted": make_report(alice, "ISO-FR-SUBMITTED", status="submitted"),
        "fr_approved": make_report(alice, "ISO-FR-APPROVED", status="approved", reviewer=erin),
        "de_draft": make_report(bob, "ISO-DE-DRAFT"),
        "de_submitted": make_report(bob, "ISO-DE-SUBMITTED", status="submitted"),
        "kz_submitted": make_report(dmitri, "ISO-KZ-SUBMITTED", status="submitted"),
    }
