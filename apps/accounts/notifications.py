"""E-mails telling people about acts on their account: tokens issued or revoked, e-mail address changed,
two-factor authentication reset.

Written to the mail outbox in the act's transaction, one message per recipient, from
``templates/accounts/email/``; a worker sends them after commit (:mod:`apps.mail.services`). The token's
secret is never mailed, only its prefix.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from apps.core.actor import Actor
from apps.mail.services import Address, mail_enqueue

from .models import ApiToken, User
from .roles import Role


def token_recipients(holder: User) -> list[Address]:
    """Whom to tell about a token: its holder; for a system account without an address, the people who
    manage it (the coordinators of a national system's administration, or the RILO administrators of the
    region that manages its partner), as :func:`~apps.accounts.querysets.system_account_scope` says from
    their side; nobody if there are none. One query."""
    if holder.email:
        return [Address(holder.email, holder.language)]
    if holder.role != Role.PARTNER_SYSTEM:
        return []
    if holder.administration_id:
        managers = Q(role=Role.NATIONAL_COORDINATOR, administration_id=holder.administration_id)
    else:
        managers = Q(role=Role.RILO_ADMINISTRATOR, region__partner_systems__account_id=holder.pk)
    managing = User.objects.filter(managers, is_active=True).exclude(email="").values_list("email", "language")
    return sorted({Address(email, language) for email, language in managing}, key=lambda address: address.email)


def _token_context(token: ApiToken, actor: Actor | None) -> dict[str, Any]:
    # Lazy texts (the scopes' names, "the command line"): each recipient's message is rendered in their language.
    return {
        "holder": token.user.username,
        "prefix": token.display_prefix,
        "scopes": lazy(lambda: token.scope_labels, str)(),
        "expires": f"{token.expires_at:%Y-%m-%d %H:%M} UTC",
        "by": actor.username if actor is not None else _("the command line"),
    }


def notify_token_issued(*, token: ApiToken, actor: Actor | None) -> None:
    """Tell the holder (or its managers) that a token was issued (sent after commit)."""
    context = _token_context(token, actor)
    mail_enqueue(to=token_recipients(token.user), template="accounts/email/token_issued", context=context)


def notify_token_revoked(*, token: ApiToken, actor: Actor | None) -> None:
    """Tell the holder (or its managers) that a token was revoked (sent after commit)."""
    context = _token_context(token, actor)
    mail_enqueue(to=token_recipients(token.user), template="accounts/email/token_revoked", context=context)


def notify_email_changed(*, user: User, old_address: str, actor: Actor | None) -> None:
    """Tell the previous address that the account's e-mail address was changed, and that password links
    and two-factor reset notices now go to the new address (whoever holds it could take the account over),
    so the owner knows to raise the alarm with someone other than the one who changed it (sent after commit)."""
    by = actor.username if actor is not None else _("an administrator")
    mail_enqueue(
        to=[Address(old_address, user.language)],
        template="accounts/email/email_changed",
        context={"username": user.username, "by": by},
    )


def notify_two_factor_reset(*, user: User, actor: Actor) -> None:
    """Tell the account's owner that their two-factor authentication was reset (sent after commit)."""
    mail_enqueue(
        to=[user],
        template="accounts/email/two_factor_reset",
        context={"username": user.username, "by": actor.username},
    )
