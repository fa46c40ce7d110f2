"""The admin's lists name their columns and models in the staff member's language, not in English."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from apps.accounts.models import Role
from apps.audit.models import AuditEvent
from apps.jobs.choices import JobKind
from apps.jobs.models import Job
from apps.mail.models import MailMessage
from apps.reports.models import Operation
from tests.factories import UserFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def _one_row(app: str, staff: Any) -> None:
    """A row to list (an empty list shows no columns)."""
    if app == "jobs":
        Job.objects.create(owner=staff, kind=JobKind.values[0])
    elif app == "audit":
        AuditEvent.objects.create(action="report.approve", object_type="reports.report")
    elif app == "mail":
        MailMessage.objects.create(kind="accounts/email/password_reset", recipient="a@example.org", subject="RILO")
    else:
        Operation.objects.create(code="action-week", name="Action week")


@pytest.mark.parametrize(
    ("app", "model", "french"),
    [
        ("jobs", "job", ["Tâches", "Lignes traitées", "Terminé le"]),
        ("audit", "auditevent", ["Événements d&#x27;audit", "Type d&#x27;objet"]),
        ("mail", "mailmessage", ["Courriels", "Destinataire", "Envoyé le"]),
        ("reports", "operation", ["Opérations", "Commence le"]),
    ],
)
def test_the_admin_lists_are_in_the_staff_members_language(
    client: Client, region_we: Any, app: str, model: str, french: list[str]
) -> None:
    staff = UserFactory.create(
        username="stella", role=Role.RILO_ADMINISTRATOR, region=region_we, is_staff=True, language="fr"
    )
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label=app))
    _one_row(app, staff)
    sign_in(client, staff)
    page = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert page.status_code == 200
    for words in french:
        assert words in page.text, words
