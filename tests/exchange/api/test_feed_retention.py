"""The pull feed stops serving a superseded version's personal fields after the retention period."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.roles import Role
from apps.exchange.models import OutboxEvent, PartnerSystem
from apps.exchange.services import event_fan_out, superseded_scrub
from apps.tenancy.models import Administration
from tests.builders import NON_PERSONAL_FIELDS, approve, build_report, correct, vocabulary, webhook_partner
from tests.exchange.conftest import URL, token_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
FEED = "/api/v1/feed/"
PERSONAL_FIELDS = ["parties.family_name", "parties.given_names", "report.modus_operandi"]


@pytest.fixture
def national(france: Administration) -> tuple[PartnerSystem, str]:
    """A national system that may receive personal data, with a read token for its feed."""
    vocabulary()
    partner, _, _ = webhook_partner("National system", URL, personal=True, fields=NON_PERSONAL_FIELDS + PERSONAL_FIELDS)
    account = UserFactory.create(username="national", role=Role.PARTNER_SYSTEM)
    partner.account = account
    partner.save(update_fields=["account"])
    return partner, token_for(account, "read")


def feed(api: APIClient, token: str) -> dict[int, dict[str, Any]]:
    """The feed's messages by report version."""
    response = api.get(FEED, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.json()
    return {m["report_version"]: m for m in response.json()["results"]}


def corrected_report(france: Administration) -> tuple[OutboxEvent, OutboxEvent]:
    report = build_report(by=france, reference="FR-1")
    first = approve(report)
    event_fan_out(event_id=first.pk)
    second = correct(report, place="Port of Le Havre, quay 9")
    event_fan_out(event_id=second.pk)
    return first, second


def test_the_feed_serves_no_personal_field_of_a_superseded_version_after_the_retention_period(
    api: APIClient, france: Administration, national: tuple[PartnerSystem, str]
) -> None:
    _, token = national
    first, _ = corrected_report(france)
    # Within the period, a partner entitled to them still reads the superseded version's names.
    assert superseded_scrub(now=timezone.now() + dt.timedelta(days=29)) == 0
    messages = feed(api, token)
    assert messages[1]["message"]["data"]["parties"][0]["family_name"] == "Martin"

    # The hourly task, run after the period: the version's personal fields are gone from the outbox.
    assert superseded_scrub(now=timezone.now() + dt.timedelta(days=31)) == 1
    first.refresh_from_db()
    assert first.personal_scrubbed_at is not None
    assert "Martin" not in str(first.snapshot) and "Jean Dupont" not in str(first.snapshot)
    assert first.snapshot["parties"][0]["age_band"] is not None  # non-personal fields stay
    assert first.snapshot["items"][0]["quantity"] == "200000.000"

    messages = feed(api, token)
    old = messages[1]["message"]["data"]
    assert "family_name" not in old["parties"][0] and "given_names" not in old["parties"][0]
    assert "modus_operandi" not in old["report"] and "Martin" not in str(messages[1])
    current = messages[2]["message"]["data"]  # the current version keeps them
    assert current["parties"][0]["family_name"] == "Martin"
    assert current["report"]["modus_operandi"].startswith("Driver said")
    assert superseded_scrub(now=timezone.now() + dt.timedelta(days=62)) == 0  # once


def test_the_feed_redacts_a_superseded_version_at_read_time_even_before_the_task_runs(
    api: APIClient, france: Administration, national: tuple[PartnerSystem, str]
) -> None:
    _, token = national
    corrected_report(france)
    with override_settings(RILO_FEED_PERSONAL_RETENTION_DAYS=0):
        messages = feed(api, token)
    assert "family_name" not in messages[1]["message"]["data"]["parties"][0]
    assert messages[2]["message"]["data"]["parties"][0]["family_name"] == "Martin"
    assert not OutboxEvent.objects.filter(personal_scrubbed_at__isnull=False).exists()


def test_an_outbox_snapshot_may_change_only_to_be_scrubbed_once(france: Administration) -> None:
    vocabulary()
    event = approve(build_report(by=france, reference="FR-1"))
    with pytest.raises(DatabaseError), transaction.atomic():
        OutboxEvent.objects.filter(pk=event.pk).update(snapshot={"forged": True})
    OutboxEvent.objects.filter(pk=event.pk).update(snapshot={"scrubbed": True}, personal_scrubbed_at=timezone.now())
    with pytest.raises(DatabaseError), transaction.atomic():
        OutboxEvent.objects.filter(pk=event.pk).update(snapshot={"again": True}, personal_scrubbed_at=timezone.now())
