"""Tokens issued for a person by someone else stop working at deploy: the migration revokes them, on record,
and token authentication refuses any left."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from apps.accounts.models import ApiToken, User
from apps.accounts.roles import Role
from apps.accounts.services import TokenRejected, token_authenticate, token_issue
from apps.audit.models import AuditEvent
from apps.tenancy.models import Administration
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
migration = importlib.import_module("apps.accounts.migrations.0011_revoke_tokens_issued_for_another_person")


@pytest.fixture
def nsys(france: Administration) -> User:
    """The French national system: a partner-system account of French Customs."""
    return UserFactory.create(username="nsys", role=Role.PARTNER_SYSTEM, administration=france)


def issued(holder: User, *, by: User | None) -> tuple[ApiToken, str]:
    """A token of ``holder`` recorded as issued by ``by``, as the old code let coordinators do."""
    token, plaintext = token_issue(
        user=holder, name="t", scopes=["read"], expires_at=timezone.now() + timedelta(days=30), actor=None
    )
    ApiToken.objects.filter(pk=token.pk).update(created_by=by)
    token.refresh_from_db()
    return token, plaintext


def test_tokens_issued_for_another_person_are_revoked_and_each_is_on_record(cora, alice, erin, grace, nsys):
    for_alice, _ = issued(alice, by=cora)
    for_erin, _ = issued(erin, by=grace)
    alices_own, _ = issued(alice, by=alice)
    from_command_line, _ = issued(erin, by=None)
    for_the_national_system, _ = issued(nsys, by=cora)
    AuditEvent.objects.all().delete()

    revoked = migration.revoke_tokens_issued_for_another_person(apps, connection.schema_editor())

    assert revoked == 2
    still = set(ApiToken.objects.filter(revoked_at__isnull=True).values_list("pk", flat=True))
    assert still == {alices_own.pk, from_command_line.pk, for_the_national_system.pk}
    events = {event.object_id: event for event in AuditEvent.objects.filter(action="accounts.token_revoke")}
    assert set(events) == {str(for_alice.pk), str(for_erin.pk)}
    alice_event, erin_event = events[str(for_alice.pk)], events[str(for_erin.pk)]
    assert alice_event.actor is None and alice_event.object_type == "accounts.apitoken"
    assert alice_event.detail == {
        "reason": "issued for another person",
        "token_prefix": for_alice.display_prefix,
        "holder": alice.pk,
        "issuer": cora.pk,
    }
    # Each holder's region's auditors see it: an officer's through her administration, RILO staff's directly.
    assert alice_event.region_id == alice.administration.region_id and erin_event.region_id == erin.region_id
    # Run again: nothing more to revoke, nothing more on record.
    assert migration.revoke_tokens_issued_for_another_person(apps, connection.schema_editor()) == 0
    assert AuditEvent.objects.filter(action="accounts.token_revoke").count() == 2


def test_a_token_issued_for_another_person_is_refused_even_if_not_revoked(cora, alice, nsys):
    _, for_alice = issued(alice, by=cora)
    with pytest.raises(TokenRejected) as refused:
        token_authenticate(plaintext=for_alice)
    assert refused.value.code == "token_revoked" and "another person" in refused.value.message
    # A system account's token issued by its coordinator still works.
    _, for_the_national_system = issued(nsys, by=cora)
    assert token_authenticate(plaintext=for_the_national_system).user == nsys


def test_a_national_systems_tokens_issued_by_anyone_but_its_coordinators_are_revoked(cora, grace, nsys):
    by_its_coordinator, _ = issued(nsys, by=cora)
    by_a_rilo_administrator, _ = issued(nsys, by=grace)
    AuditEvent.objects.all().delete()

    assert migration.revoke_tokens_issued_for_another_person(apps, connection.schema_editor()) == 1

    still = set(ApiToken.objects.filter(revoked_at__isnull=True).values_list("pk", flat=True))
    assert by_its_coordinator.pk in still and by_a_rilo_administrator.pk not in still
    event = AuditEvent.objects.get(action="accounts.token_revoke")
    assert event.object_id == str(by_a_rilo_administrator.pk)
    assert event.detail["reason"] == "national system's token not issued by its administration's coordinator"
    assert event.region_id == nsys.administration.region_id
