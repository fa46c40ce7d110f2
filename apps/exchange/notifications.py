"""E-mails of the exchange app, written to the mail outbox in the change's transaction (:mod:`apps.mail`).

Allowing personal data for a partner (the partner's flag, or a policy version carrying it) is told
to the auditors of the partner's RILO. Messages name the partner and the administrator by their
user name only; a worker sends them after commit, retrying while the mail server is away.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.mail.services import Address, mail_enqueue


def notify_personal_data_change(
    *, region_id: int, partner_name: str, actor_name: str, allowed: bool, policy_version: int | None = None
) -> None:
    """Tell the auditors of ``region_id`` that ``actor_name`` changed whether ``partner_name`` may receive personal
    data (``allowed``: now it may), on the partner or by its policy's version ``policy_version`` (sent after
    commit). The message says so in each auditor's language."""
    auditors = User.objects.filter(role=Role.AUDITOR, region_id=region_id, is_active=True)
    mail_enqueue(
        to=[Address(email, language) for email, language in auditors.values_list("email", "language")],
        template="exchange/email/personal_data_changed",
        context={
            "actor": actor_name or _("the system"),
            "partner": partner_name,
            "allowed": allowed,
            "policy_version": policy_version,
        },
    )
