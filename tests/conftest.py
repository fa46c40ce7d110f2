"""Personas across two administrations in two regions, used by every test module.

Region Western Europe: France (alice officer, cora coordinator) and Germany (bob officer),
analyst erin, RILO administrator grace, auditor hugo. Region CIS: Kazakhstan (dmitri officer),
analyst farid. ivan is a partner system account.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db.models.signals import post_migrate

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.tenancy.models import Administration, Region

from .factories import AdministrationFactory, RegionFactory, UserFactory

_REFERENCE_DATA_MIGRATIONS = ("0003_core_vocabularies", "0004_commodity_types", "0005_currencies", "0006_hs_subset")


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
