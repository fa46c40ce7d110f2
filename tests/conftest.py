"""Personas across two administrations in two regions, used by every test module.

Region Western Europe: France (alice officer, cora coordinator) and Germany (bob officer),
analyst erin, RILO administrator grace, auditor hugo. Region CIS: Kazakhstan (dmitri officer),
analyst farid. ivan is a partner system account; nsys is the French national system (a partner
system account of French Customs). API clients, tokens and a world of reports in every state are
here too: the API tests of every app use them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db.models.signals import post_migrate
from django.utils import timezone, translation
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
from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from apps.tenancy.models import Administration, Region
from tests.builders import build_report, complete_report
from tests.factories import AdministrationFactory, RegionFactory, UserFactory

IssueToken = Callable[..., str]

_REFERENCE_DATA_MIGRATIONS = (
    "0003_core_vocabularies",
    "0004_commodity_types",
    "0005_currencies",
    "0006_hs_subset",
    "0007_term_labels_fr_es_ru",
    "0008_currency_labels_fr_es_ru",
)


def _restore_reference_data(sender: Any, **kwargs: Any) -> None:
    """Reload the shipped vocabularies after a transactional test's flush emptied them.

    Transactional tests (real worker processes, concurrent connections) end with a flush of every
    table; whatever test runs next in the same process must still find the vocabularies that the
    data migrations load in every real database.
    """
    if sender.label != "reference":
        return
    from apps.reference.models import EnforcementArea

    if EnforcementArea.objects.exists():
        return
    for name in _REFERENCE_DATA_MIGRATIONS:
        importlib.import_module(f"apps.reference.migrations.{name}").load(django_apps, None)


post_migrate.connect(_restore_reference_data, dispatch_uid="tests-restore-reference-data")


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    """Every test starts and ends in the site's default language: a request (LocaleMiddleware, the profile's
    language) leaves the language it activated active in the thread, which would leak into the next test."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_process_caches() -> Iterator[None]:
    """Every test starts and ends with empty process caches (compiled SQL, policy versions read once):
    ids are reused after a flush, and no test may pass on what another left behind."""
    from apps.core.caches import process_caches_clear

    process_caches_clear()
    yield
    process_caches_clear()


@pytest.fixture
def region_we(db: None) -> Region:
    return RegionFactory.create(code="rilo-we", name="RILO Western Europe")


@pytest.fixture
def region_cis(db: None) -> Region:
    return RegionFactory.create(code="rilo-cis", name="RILO CIS")


@pytest.fixture
def france(region_we: Region) -> Administration:
    return AdministrationFactory.create(region=region_we, country="FR", name="French Customs", code="fr")


@pytest.fixture
def germany(region_we: Region) -> Administration:
    return AdministrationFactory.create(region=region_we, country="DE", name="German Customs", code="de")


@pytest.fixture
def kazakhstan(region_cis: Region) -> Administration:
    return AdministrationFactory.create(region=region_cis, country="KZ", name="Kazakh Customs", code="kz")


@pytest.fixture
def alice(france: Administration) -> User:
    return UserFactory.create(username="alice", role=Role.OFFICER, administration=france)


@pytest.fixture
def cora(france: Administration) -> User:
    return UserFactory.create(username="cora", role=Role.NATIONAL_COORDINATOR, administration=france)


@pytest.fixture
def bob(germany: Administration) -> User:
    return UserFactory.create(username="bob", role=Role.OFFICER, administration=germany)


@pytest.fixture
def dmitri(kazakhstan: Administration) -> User:
    return UserFactory.create(username="dmitri", role=Role.OFFICER, administration=kazakhstan)


@pytest.fixture
def erin(region_we: Region) -> User:
    return UserFactory.create(username="erin", role=Role.RILO_ANALYST, region=region_we)


@pytest.fixture
def farid(region_cis: Region) -> User:
    return UserFactory.create(username="farid", role=Role.RILO_ANALYST, region=region_cis)


@pytest.fixture
def grace(region_we: Region) -> User:
    return UserFactory.create(username="grace", role=Role.RILO_ADMINISTRATOR, region=region_we)


@pytest.fixture
def hugo(region_we: Region) -> User:
    return UserFactory.create(username="hugo", role=Role.AUDITOR, region=region_we)


@pytest.fixture
def ivan(db: None) -> User:
    return UserFactory.create(username="ivan", role=Role.PARTNER_SYSTEM)


# --- API clients, tokens and reports -------------------------------------------------------------


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


@pytest.fixture
def nsys(france: Administration) -> User:
    """The French national system: a partner system account attached to French Customs, pushing its reports."""
    return UserFactory.create(username="nsys", role=Role.PARTNER_SYSTEM, administration=france)


@pytest.fixture
def world(alice: User, bob: User, dmitri: User, erin: User, farid: User) -> dict[str, Report]:
    """Reports of France and Germany (RILO Western Europe) and Kazakhstan (RILO CIS) in the states that matter."""

    def make_report(author: User, reference: str, status: str = ReportStatus.DRAFT) -> Report:
        return build_report(
            by=author, reference=reference, status=status, through_services=True, reviewer=erin, **complete_report()
        )

    return {
        "fr_draft": make_report(alice, "ISO-FR-DRAFT"),
        "fr_submitted": make_report(alice, "ISO-FR-SUBMITTED", status=ReportStatus.SUBMITTED),
        "fr_approved": make_report(alice, "ISO-FR-APPROVED", status=ReportStatus.APPROVED),
        "de_draft": make_report(bob, "ISO-DE-DRAFT"),
        "de_submitted": make_report(bob, "ISO-DE-SUBMITTED", status=ReportStatus.SUBMITTED),
        "kz_submitted": make_report(dmitri, "ISO-KZ-SUBMITTED", status=ReportStatus.SUBMITTED),
    }
