"""E-mails of the exchange app, written to the mail outbox in the change's transaction (:mod:`apps.mail`).

Allowing personal data for a partner (the partner's flag, or a policy version carrying it) is told
to the auditors of the partner's RILO. Messages name the partner and the administrator by their
user name only; a worker sends them after commit, retrying while the mail server is away.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.mail.services import mail_enqueue


def notify_personal_data_change(*, region_id: int, partner_name: str, actor_name: str, what: str) -> None:
    """Tell the auditors of ``region_id`` that ``actor_name`` changed what personal data ``partner_name``
    receives (sent after commit)."""
    auditors = User.objects.filter(role=Role.AUDITOR, region_id=region_id, is_active=True)
    mail_enqueue(
        to=auditors.values_list("email", flat=True),
        template="exchange/email/personal_data_changed",
        context={"actor": actor_name or _("the system"), "partner": partner_name, "what": what},
    )
