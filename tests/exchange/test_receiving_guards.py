"""The one writer of what partners send checks for itself what it relies on, whoever calls it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from apps.accounts.models import User
from apps.core.exceptions import Conflict, NotFound, PermissionDenied
from apps.reports.choices import ReportStatus
from apps.reports.services import report_create_draft, report_receive_from_partner

from .conftest import Peer

pytestmark = pytest.mark.django_db

FIELDS = {"seizure_date": dt.date(2025, 3, 14), "country_of_seizure": "DE"}


def _receive(peer: Peer, *, actor: User, report=None, version: int = 1, withdrawn: bool = False):
    return report_receive_from_partner(
        partner=peer.partner,
        report=report,
        report_uuid=report.uuid if report is not None else uuid.uuid4(),
        version=version,
        actor=actor,
        fields=FIELDS,
        parts={},
        remote_reference="NCEN-1",
        withdrawn=withdrawn,
    )


def test_only_the_partners_own_account_stores_what_the_partner_sent(peer: Peer, bob: User) -> None:
    with pytest.raises(PermissionDenied):
        _receive(peer, actor=bob)


def test_a_report_of_another_administration_cannot_be_overwritten_as_if_received(peer: Peer, alice: User) -> None:
    fields = {"national_reference": "FR-OWN-1", "country_of_seizure": "FR", "seizure_date": dt.date(2025, 3, 1)}
    draft = report_create_draft(actor=alice, fields=fields)
    assert peer.partner.account is not None
    with pytest.raises(NotFound):
        _receive(peer, actor=peer.partner.account, report=draft, version=draft.version + 1)
    draft.refresh_from_db()
    assert draft.status == ReportStatus.DRAFT


def test_a_version_not_newer_than_the_one_held_is_a_conflict(peer: Peer) -> None:
    account = peer.partner.account
    assert account is not None
    report = _receive(peer, actor=account, version=3)
    with pytest.raises(Conflict):
        _receive(peer, actor=account, report=report, version=2)
    with pytest.raises(Conflict):
        _receive(peer, actor=account, report=report, version=3)
    withdrawn = _receive(peer, actor=account, report=report, version=3, withdrawn=True)
    assert withdrawn.status == ReportStatus.WITHDRAWN
