"""Mail sent because of an act: one message per recipient, after the act's transaction commits.

Failures are logged, never raised: the act has already committed. The SMTP connection gives up after
``EMAIL_TIMEOUT`` (``DJANGO_EMAIL_TIMEOUT``), so a dead mail server never holds a request for long.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

logger = logging.getLogger(__name__)


def mail_send(*, to: Iterable[str], subject: str, body: str) -> None:
    """Send ``subject``/``body`` now, one message per distinct address (recipients never see each other);
    blank addresses are skipped. Call it from code that already runs after commit."""
    addresses = sorted({address for address in to if address})
    if not addresses:
        return
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in addresses]
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:
        logger.exception("could not send %r to %d recipient(s)", subject, len(addresses))


def mail_after_commit(*, to: Iterable[str], subject: str, body: str) -> None:
    """Send as :func:`mail_send` once the current transaction commits (at once outside one); nothing if it
    rolls back. The recipients are taken now."""
    transaction.on_commit(partial(mail_send, to=tuple(to), subject=subject, body=body))
