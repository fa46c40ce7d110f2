"""``field__any=[...]``: the values bound as one array parameter, matching as ``__in`` does."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.tenancy.models import Administration
from tests.factories import AdministrationFactory, RegionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrations() -> list[Administration]:
    region = RegionFactory.create()
    return [AdministrationFactory.create(region=region, country=country) for country in ("FR", "DE", "ES", "IT")]


def test_any_matches_what_in_matches(administrations: list[Administration]) -> None:
    wanted = [administrations[0].pk, administrations[2].pk]
    by_any = set(Administration.objects.filter(pk__any=wanted).values_list("pk", flat=True))
    by_in = set(Administration.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert by_any == by_in == set(wanted)
    names = [administrations[1].name, "no such administration"]
    assert list(Administration.objects.filter(name__any=names).values_list("pk", flat=True)) == [administrations[1].pk]
    kept = Administration.objects.exclude(pk__any=wanted).filter(pk__in=[a.pk for a in administrations])
    assert set(kept) == {administrations[1], administrations[3]}


def test_an_empty_list_matches_nothing(administrations: list[Administration]) -> None:
    assert not Administration.objects.filter(pk__any=[]).exists()
    assert Administration.objects.exclude(name__any=[]).count() == Administration.objects.count()


def test_the_values_are_one_parameter_however_many(administrations: list[Administration]) -> None:
    many = [administration.pk for administration in administrations] + list(range(10**6, 10**6 + 20_000))
    with CaptureQueriesContext(connection) as queries:
        found = Administration.objects.filter(pk__any=many).count()
    assert found == len(administrations)
    (query,) = queries.captured_queries
    assert "= ANY(" in query["sql"]
    assert len(query["sql"]) < 2_000 + 8 * len(many)  # the statement names the array once (no 20,004 "%s")


def test_any_on_a_relation_takes_its_ids(administrations: list[Administration]) -> None:
    region = administrations[0].region
    other = RegionFactory.create()
    AdministrationFactory(region=other, country="PT")
    found = set(Administration.objects.filter(region_id__any=[region.pk]).values_list("pk", flat=True))
    assert found == {administration.pk for administration in administrations}
    assert set(Administration.objects.filter(region__any=[other.pk]).values_list("country", flat=True)) == {"PT"}
