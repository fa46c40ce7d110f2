"""E-mails telling people about acts on their account: tokens issued or revoked, e-mail address changed,
two-factor authentication reset.

Sent after the transaction commits (``transaction.on_commit``), one message per recipient; failures
are logged, never raised, since the act has already committed. The token's secret is never mailed,
only its prefix.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils.translation import gettext as _

from .models import ApiToken, User
from .querysets import system_account_scope
from .roles import Role

logger = logging.getLogger(__name__)


def _send(subject: str, body: str, recipients: Iterable[str]) -> None:
    addresses = sorted({address for address in recipients if address})
    if not addresses:
        return
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in addresses]
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:
        logger.exception("could not send %r to %d recipient(s)", subject, len(addresses))


def token_recipients(holder: User) -> list[str]:
    """Whom to tell about a token: its holder; for a system account without an address, the people who
    manage it (the coordinators of its administration, or the RILO administrators of its partner's or
    administration's region); nobody if there are none."""
    if holder.email:
        return [holder.email]
    if holder.role != Role.PARTNER_SYSTEM:
        return []
    managers = User.objects.filter(
        is_active=True, role__in=[Role.NATIONAL_COORDINATOR, Role.RILO_ADMINISTRATOR]
    ).exclude(email="")
    return [
        manager.email
        for manager in managers.select_related("administration", "region")
        if User.objects.filter(system_account_scope(manager), pk=holder.pk).exists()
    ]


@dataclass(frozen=True)
class TokenMailed:
    """What the e-mail says about a token, taken in the act's transaction."""

    holder: str
    prefix: str
    scopes: tuple[str, ...]
    expires_at: str
    by: str
    recipients: tuple[str, ...]

    @classmethod
    def of(cls, token: ApiToken, actor: User | None) -> TokenMailed:
        return cls(
            holder=token.user.username,
            prefix=token.display_prefix,
            scopes=tuple(token.scopes),
            expires_at=f"{token.expires_at:%Y-%m-%d %H:%M} UTC",
            by=actor.username if actor is not None else _("the command line"),
            recipients=tuple(token_recipients(token.user)),
        )


def _token_issued(token: TokenMailed) -> None:
    body = _(
        "An API token was issued for the RILO account %(holder)s by %(by)s.\n\n"
        "Prefix: %(prefix)s\nScopes: %(scopes)s\nExpires: %(expires)s\n\n"
        "If you did not expect this, revoke it at once (Accounts → API tokens) and tell your coordinator "
        "or RILO administrator.\n"
    ) % {
        "holder": token.holder,
        "by": token.by,
        "prefix": token.prefix,
        "scopes": ", ".join(token.scopes),
        "expires": token.expires_at,
    }
    _send(_("[RILO] API token %(prefix)s issued") % {"prefix": token.prefix}, body, token.recipients)


def _token_revoked(token: TokenMailed) -> None:
    body = _(
        "The API token %(prefix)s of the RILO account %(holder)s was revoked by %(by)s. "
        "Programs using it are refused from now on.\n"
    ) % {"holder": token.holder, "by": token.by, "prefix": token.prefix}
    _send(_("[RILO] API token %(prefix)s revoked") % {"prefix": token.prefix}, body, token.recipients)


def notify_token_issued(*, token: ApiToken, actor: User | None) -> None:
    """After commit, tell the holder (or its managers) that a token was issued."""
    transaction.on_commit(partial(_token_issued, TokenMailed.of(token, actor)))


def notify_token_revoked(*, token: ApiToken, actor: User | None) -> None:
    """After commit, tell the holder (or its managers) that a token was revoked."""
    transaction.on_commit(partial(_token_revoked, TokenMailed.of(token, actor)))


def notify_email_changed(*, user: User, old_address: str, actor: User | None) -> None:
    """After commit, tell the previous address that the account's e-mail address was changed."""
    by = actor.username if actor is not None else _("an administrator")
    body = _(
        "The e-mail address of the RILO account %(username)s was changed by %(by)s; messages now go to the new "
        "address. If you did not expect this, tell your coordinator or RILO administrator.\n"
    ) % {"username": user.username, "by": by}
    transaction.on_commit(partial(_send, _("[RILO] Your e-mail address was changed"), body, [old_address]))


def notify_two_factor_reset(*, user: User, actor: User) -> None:
    """After commit, tell the account's owner that their two-factor authentication was reset."""
    body = _(
        "Two-factor authentication of the RILO account %(username)s was reset by %(by)s. At your next sign-in, "
        "set up your authenticator app again. If you did not ask for this, tell your coordinator or RILO "
        "administrator.\n"
    ) % {"username": user.username, "by": actor.username}
    transaction.on_commit(partial(_send, _("[RILO] Your two-factor authentication was reset"), body, [user.email]))
