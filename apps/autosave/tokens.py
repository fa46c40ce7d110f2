"""Signed form tickets: which user's draft a POST may be kept in, even after the session expired.

A form page carries a ticket signed with the secret key naming the user, the form, the report and
the draft key. When the session has expired, a POST that still carries a valid ticket (and a valid
CSRF token) is kept as that user's draft; only that user can read it back, after signing in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

_SALT = "rilo.autosave.ticket"


@dataclass(frozen=True)
class Ticket:
    user_id: int
    form: str
    report_id: int | None
    key: uuid.UUID


def ticket_sign(ticket: Ticket) -> str:
    return signing.dumps(
        {"u": ticket.user_id, "f": ticket.form, "r": ticket.report_id, "k": str(ticket.key)}, salt=_SALT
    )


def ticket_read(value: str) -> Ticket | None:
    """The ticket, or None when it is missing, forged or older than RILO_AUTOSAVE_TICKET_MAX_AGE."""
    if not value:
        return None
    try:
        data = signing.loads(value, salt=_SALT, max_age=settings.RILO_AUTOSAVE_TICKET_MAX_AGE)
        return Ticket(user_id=int(data["u"]), form=str(data["f"]), report_id=data["r"], key=uuid.UUID(data["k"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
