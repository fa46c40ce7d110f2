"""insert() and Reader: SQL built once, the same rows and instances the ORM writes and reads."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db.models import Model
from django.db.models.functions import Now
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.rows import Reader, insert
from apps.exchange.models import PartnerSystem, SharingPolicy
from apps.tenancy.models import Administration, Region
from tests.builders import default_region, next_policy_version, partner_system, vocabulary
from tests.factories import AdministrationFactory, RegionFactory, UserFactory

THRESHOLD = {"commodity": "cigarettes", "min": 100000, "dimension": "sticks"}

pytestmark = pytest.mark.django_db


def stored(instance: Model) -> dict[str, Any]:
    """Every column of the instance's row, as the ORM reads it back."""
    fresh = type(instance)._default_manager.get(pk=instance.pk)
    return {field.attname: getattr(fresh, field.attname) for field in type(instance)._meta.concrete_fields}


def test_insert_writes_what_create_would_and_marks_the_instances_saved() -> None:
    france = AdministrationFactory.create(country="FR")
    alice = UserFactory.create(username="alice")
    object_uuid = uuid.uuid4()
    event = AuditEvent(
        actor=alice,
        action="report.approve",
        object_type="reports.report",
        object_id="12",
        object_uuid=object_uuid,
        administration=france,
        region_id=france.region_id,
        detail={"from": "submitted", "to": "approved", "version": 2},
        request_id="req-1",
    )

    [returned] = insert([event])

    assert returned is event
    assert event.pk is not None
    assert (event._state.adding, event._state.db) == (False, "default")
    row = stored(event)
    assert row["actor_id"] == alice.pk
    assert row["administration_id"] == france.pk
    assert row["object_uuid"] == object_uuid
    assert row["detail"] == {"from": "submitted", "to": "approved", "version": 2}
    assert row["at"] == event.at  # the field's default, taken when the instance was made


def test_insert_of_several_rows_gives_each_instance_its_own_id() -> None:
    events = [AuditEvent(action=f"test.{number}", object_type="x", detail={"n": number}) for number in range(5)]

    insert(events)

    assert len({event.pk for event in events}) == 5
    for number, event in enumerate(events):
        assert stored(event)["action"] == f"test.{number}"
        assert stored(event)["detail"] == {"n": number}


def test_insert_runs_the_fields_pre_save_as_save_does() -> None:
    before = timezone.now()
    region = Region(code="rilo-test", name="Test region")  # created_at/updated_at: auto_now(_add)

    insert([region])

    row = stored(region)
    assert row["created_at"] is not None and row["created_at"] >= before
    assert row["updated_at"] is not None and row["updated_at"] >= before


def test_a_database_expression_is_written_through_bulk_create() -> None:
    event = AuditEvent(action="test.expression", object_type="x", at=Now())

    insert([event])

    assert isinstance(stored(event)["at"], dt.datetime)


def test_insert_refuses_saved_instances_mixed_models_and_unsaved_relations() -> None:
    region = RegionFactory.create()
    with pytest.raises(ValueError, match="new instances of one model"):
        insert([region])
    with pytest.raises(ValueError, match="new instances of one model"):
        insert([AuditEvent(action="a", object_type="x"), Region(code="r2", name="Other")])
    with pytest.raises(ValueError, match="unsaved related object"):
        unsaved = Region(code="r3", name="Unsaved")
        insert([Administration(region=unsaved, country="BE", name="Belgian Customs", code="be")])
    assert not AuditEvent.objects.filter(action="a").exists()


def test_the_reader_gives_the_instances_a_queryset_gives() -> None:
    region = RegionFactory.create()
    for name, state in (("CEN", "active"), ("National system", "paused")):
        partner, _ = partner_system(
            name=name,
            adapter="webhook",
            endpoint_url=f"http://127.0.0.1:9/{name[:3].lower()}",
            credentials={"token": "t0ken"},
            region=region,
        )
        PartnerSystem.objects.filter(pk=partner.pk).update(state=state, state_changed_at=timezone.now())

    read = Reader(PartnerSystem, "WHERE region_id = %s ORDER BY id").all([region.pk])
    expected = list(PartnerSystem.objects.filter(region=region).order_by("pk"))

    assert [partner.pk for partner in read] == [partner.pk for partner in expected]
    for got, want in zip(read, expected, strict=True):
        assert type(got) is PartnerSystem
        assert (got._state.adding, got._state.db) == (False, "default")
        for field in PartnerSystem._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(want, field.attname), field.name
        assert got.credentials == {"token": "t0ken"}
    assert Reader(PartnerSystem, "WHERE region_id = %s").all([region.pk + 1000]) == []


def test_the_reader_converts_values_as_the_orm_does() -> None:
    vocabulary()  # the commodity terms a threshold names
    partner, _ = partner_system(
        name="CEN", adapter="webhook", endpoint_url="http://127.0.0.1:9/cen", region=default_region()
    )
    policy = next_policy_version(partner, embargo=dt.timedelta(hours=6), thresholds=[THRESHOLD])

    [read] = Reader(SharingPolicy, "WHERE id = %s").all([policy.pk])

    want = SharingPolicy.objects.get(pk=policy.pk)
    for field in SharingPolicy._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(want, field.attname), field.name
    assert read.thresholds == [THRESHOLD]  # JSON, decoded by the field's converter
    assert read.embargo == dt.timedelta(hours=6)


def test_the_reader_reads_related_rows_in_the_same_statement(django_assert_num_queries: Any) -> None:
    region = RegionFactory.create(code="rilo-we")
    with_region, _ = partner_system(name="CEN", adapter="webhook", endpoint_url="http://127.0.0.1:9/cen", region=region)
    other = RegionFactory.create(code="rilo-cis")
    without, _ = partner_system(name="Peer", adapter="webhook", endpoint_url="http://127.0.0.1:9/peer", region=other)

    with django_assert_num_queries(1):
        read = Reader(PartnerSystem, "ORDER BY exchange_partnersystem.id", related=["region"]).all()
        assert [(partner.pk, partner.region) for partner in read] == [(with_region.pk, region), (without.pk, other)]
        assert read[0].region.code == "rilo-we" and read[0].region.created_at == region.created_at


def test_insert_saves_through_the_model_when_it_has_post_save_receivers() -> None:
    """django-simple-history and the like listen to post_save: insert() must not skip them."""
    from django.db.models.signals import post_save

    seen: list[tuple[int, bool]] = []

    def receiver(sender: type[Model], instance: Region, created: bool, **kwargs: Any) -> None:
        seen.append((instance.pk, created))

    post_save.connect(receiver, sender=Region, dispatch_uid="test-rows-receiver")
    try:
        [region] = insert([Region(code="rilo-x", name="RILO X")])
    finally:
        post_save.disconnect(sender=Region, dispatch_uid="test-rows-receiver")
    assert seen == [(region.pk, True)]
    assert stored(region)["code"] == "rilo-x"


def test_the_compiled_sql_sits_in_process_caches_that_the_registry_empties() -> None:
    from apps.core.caches import process_caches, process_caches_clear
    from apps.core.rows import _reader_sql

    Reader(Region, "ORDER BY id").all()
    assert len(_reader_sql) == 1
    assert {"core.rows.reader_sql", "core.rows.insert_sql", "core.allows_sql"} <= set(process_caches())
    process_caches_clear()
    assert len(_reader_sql) == 0
