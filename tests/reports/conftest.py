"""Shared fixtures of the reports tests: a complete draft of alice's, and one submitted."""

from __future__ import annotations

import pytest

from apps.accounts.models import User
from apps.reports.models import Report
from apps.reports.services import report_create_draft, report_send_for_review
from tests.builders import ROUTE, complete_fields, item_row


@pytest.fixture
def draft(alice: User) -> Report:
    return report_create_draft(
        actor=alice,
        fields=complete_fields(),
        items=[item_row()],
        route=ROUTE,
        conveyances=[{"identifier_type": "container", "identifier": "mscu 123456-5", "flag_country": "PA"}],
        parties=[{"kind": "person", "family_name": "Dupont", "given_names": "Jean", "nationality": "FR"}],
    )


@pytest.fixture
def submitted(draft: Report, alice: User, erin: User, django_capture_on_commit_callbacks) -> Report:
    with django_capture_on_commit_callbacks(execute=True):
        return report_send_for_review(report=draft, actor=alice)
