"""The migration that makes a partner's RILO mandatory gives every partner without one a region, and says why."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.exchange.choices import PartnerState
from apps.exchange.models import PartnerSystem
from apps.tenancy.models import Administration, Region
from tests.builders import webhook_partner
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
migration = importlib.import_module("apps.exchange.migrations.0006_partner_region_required_and_agreements")


def orphaned(*partners: PartnerSystem) -> None:
    """As before the migration: partners without a RILO (the column was nullable; this transaction only)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows made so far are checked, then the table altered
        cursor.execute("ALTER TABLE exchange_partnersystem ALTER COLUMN region_id DROP NOT NULL")
    PartnerSystem.objects.filter(pk__in=[p.pk for p in partners]).update(region=None)


def test_partners_without_a_rilo_are_given_the_one_the_evidence_names_and_a_guess_is_paused(
    region_we: Region, region_cis: Region, kazakhstan: Administration
) -> None:
    speaker, _, _ = webhook_partner("nCEN Kazakhstan", "http://127.0.0.1:9/kz", region=region_we)
    PartnerSystem.objects.filter(pk=speaker.pk).update(source_administration=kazakhstan)
    created, _, _ = webhook_partner("Made by olga", "http://127.0.0.1:9/olga", region=region_we)
    olga = UserFactory.create(username="olga", role=Role.RILO_ADMINISTRATOR, region=region_cis)
    AuditEvent.objects.create(
        actor=olga,
        action="exchange.partner_create",
        object_type="exchange.partnersystem",
        object_id=str(created.pk),
        region=region_cis,
    )
    unknown, _, _ = webhook_partner("Nobody knows", "http://127.0.0.1:9/nobody", region=region_we)
    orphaned(speaker, created, unknown)

    with connection.schema_editor(atomic=False) as editor:
        migration.assign_regions(apps, editor)

    regions = dict(PartnerSystem.objects.values_list("name", "region__code"))
    assert regions == {"nCEN Kazakhstan": "rilo-cis", "Made by olga": "rilo-cis", "Nobody knows": "rilo-we"}
    guessed = PartnerSystem.objects.get(pk=unknown.pk)
    assert (guessed.state, guessed.state_reason) == (PartnerState.PAUSED, migration.GUESSED)
    assert PartnerSystem.objects.get(pk=speaker.pk).state == PartnerState.ACTIVE
