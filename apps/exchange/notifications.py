"""E-mails of the exchange app, sent after the transaction commits.

Allowing personal data for a partner (the partner's flag, or a policy version carrying it) is told
to the auditors of the partner's RILO. Messages name the partner and the administrator by their
user name only; failures are logged, never raised (the change has already committed).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.roles import Role

logger = logging.getLogger(__name__)


def notify_personal_data_change(*, region_id: int, partner_name: str, actor_name: str, what: str) -> None:
    """Tell the auditors of ``region_id`` that ``actor_name`` changed what personal data ``partner_name`` receives."""
    addresses = sorted(
        {
            address
            for address in User.objects.filter(role=Role.AUDITOR, region_id=region_id, is_active=True).values_list(
                "email", flat=True
            )
            if address
        }
    )
    if not addresses:
        return
    subject = _("[RILO] Personal data for partner %(partner)s changed") % {"partner": partner_name}
    body = _("%(actor)s changed what personal data the partner system %(partner)s may receive: %(what)s.\n") % {
        "actor": actor_name or _("the system"),
        "partner": partner_name,
        "what": what,
    }
    # One message per auditor so addresses are not disclosed to each other.
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in addresses]
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:
        logger.exception("could not send %r to %d auditor(s)", subject, len(addresses))
