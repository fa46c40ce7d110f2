"""E-mails telling people about acts on their account: tokens issued or revoked, e-mail address changed,
two-factor authentication reset.

Sent after the transaction commits, one message per recipient (:func:`apps.core.mail.mail_after_commit`);
failures are logged, never raised, since the act has already committed. The token's secret is never mailed,
only its prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from apps.core.mail import mail_after_commit

from .models import ApiToken, User
from .roles import Role


def token_recipients(holder: User) -> list[str]:
    """Whom to tell about a token: its holder; for a system account without an address, the people who
    manage it (the coordinators of a national system's administration, or the RILO administrators of the
    region that manages its partner), as :func:`~apps.accounts.querysets.system_account_scope` says from
    their side; nobody if there are none. One query."""
    if holder.email:
        return [holder.email]
    if holder.role != Role.PARTNER_SYSTEM:
        return []
    if holder.administration_id:
        managers = Q(role=Role.NATIONAL_COORDINATOR, administration_id=holder.administration_id)
    else:
        managers = Q(role=Role.RILO_ADMINISTRATOR, region__partner_systems__account_id=holder.pk)
    addresses = User.objects.filter(managers, is_active=True).exclude(email="").values_list("email", flat=True)
    return sorted(set(addresses))


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


def notify_token_issued(*, token: ApiToken, actor: User | None) -> None:
    """After commit, tell the holder (or its managers) that a token was issued."""
    mailed = TokenMailed.of(token, actor)
    body = _(
        "An API token was issued for the RILO account %(holder)s by %(by)s.\n\n"
        "Prefix: %(prefix)s\nScopes: %(scopes)s\nExpires: %(expires)s\n\n"
        "If you did not expect this, revoke it at once (Accounts → API tokens) and tell your coordinator "
        "or RILO administrator.\n"
    ) % {
        "holder": mailed.holder,
        "by": mailed.by,
        "prefix": mailed.prefix,
        "scopes": ", ".join(mailed.scopes),
        "expires": mailed.expires_at,
    }
    subject = _("[RILO] API token %(prefix)s issued") % {"prefix": mailed.prefix}
    mail_after_commit(to=mailed.recipients, subject=subject, body=body)


def notify_token_revoked(*, token: ApiToken, actor: User | None) -> None:
    """After commit, tell the holder (or its managers) that a token was revoked."""
    mailed = TokenMailed.of(token, actor)
    body = _(
        "The API token %(prefix)s of the RILO account %(holder)s was revoked by %(by)s. "
        "Programs using it are refused from now on.\n"
    ) % {"holder": mailed.holder, "by": mailed.by, "prefix": mailed.prefix}
    subject = _("[RILO] API token %(prefix)s revoked") % {"prefix": mailed.prefix}
    mail_after_commit(to=mailed.recipients, subject=subject, body=body)


def notify_email_changed(*, user: User, old_address: str, actor: User | None) -> None:
    """After commit, tell the previous address that the account's e-mail address was changed, and that
    password links and two-factor reset notices now go to the new address (whoever holds it could take the
    account over), so the owner knows to raise the alarm with someone other than the one who changed it."""
    by = actor.username if actor is not None else _("an administrator")
    body = _(
        "The e-mail address of the RILO account %(username)s was changed by %(by)s; messages now go to the new "
        "address.\n\n"
        "From now on, a link to choose a new password or a notice that your two-factor authentication was "
        "reset is sent to the new address only. If you did not ask for this change, tell your coordinator or "
        "RILO administrator at once (someone other than %(by)s), so that the change is undone and your "
        "sessions, password and two-factor authentication are checked.\n"
    ) % {"username": user.username, "by": by}
    mail_after_commit(to=[old_address], subject=_("[RILO] Your e-mail address was changed"), body=body)


def notify_two_factor_reset(*, user: User, actor: User) -> None:
    """After commit, tell the account's owner that their two-factor authentication was reset."""
    body = _(
        "Two-factor authentication of the RILO account %(username)s was reset by %(by)s. At your next sign-in, "
        "set up your authenticator app again. If you did not ask for this, tell your coordinator or RILO "
        "administrator.\n"
    ) % {"username": user.username, "by": actor.username}
    mail_after_commit(to=[user.email], subject=_("[RILO] Your two-factor authentication was reset"), body=body)
