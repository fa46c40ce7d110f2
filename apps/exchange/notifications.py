"""E-mails of the exchange app, sent after the transaction commits (:func:`apps.core.mail.mail_after_commit`).

Allowing personal data for a partner (the partner's flag, or a policy version carrying it) is told
to the auditors of the partner's RILO. Messages name the partner and the administrator by their
user name only; failures are logged, never raised (the change has already committed).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.mail import mail_after_commit


def notify_personal_data_change(*, region_id: int, partner_name: str, actor_name: str, what: str) -> None:
    """After commit, tell the auditors of ``region_id`` that ``actor_name`` changed what personal data
    ``partner_name`` receives."""
    auditors = User.objects.filter(role=Role.AUDITOR, region_id=region_id, is_active=True)
    subject = _("[RILO] Personal data for partner %(partner)s changed") % {"partner": partner_name}
    body = _("%(actor)s changed what personal data the partner system %(partner)s may receive: %(what)s.\n") % {
        "actor": actor_name or _("the system"),
        "partner": partner_name,
        "what": what,
    }
    mail_after_commit(to=auditors.values_list("email", flat=True), subject=subject, body=body)
