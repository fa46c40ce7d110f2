"""Who may give which role: the roles each manager role may create, edit and deactivate, and where an
account of each role belongs (one administration, one RILO, or neither).

Scope (which administration or region) is decided by ``User.objects.restrict``; this module only
says which roles a manager may hand out, so nobody can grant a role above their own reach.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.core.actor import Actor
from apps.core.exceptions import ApplicationError
from apps.tenancy.models import Administration, Region

from .roles import ADMINISTRATION_ROLES, RILO_ROLES, Role

MANAGEABLE_ROLES: dict[str, frozenset[str]] = {
    Role.NATIONAL_COORDINATOR: frozenset({Role.OFFICER, Role.NATIONAL_COORDINATOR}),
    Role.RILO_ADMINISTRATOR: frozenset(
        {Role.OFFICER, Role.NATIONAL_COORDINATOR, Role.RILO_ANALYST, Role.RILO_ADMINISTRATOR, Role.AUDITOR}
    ),
}


def roles_manageable_by(actor: Actor) -> frozenset[str]:
    """The roles ``actor`` may give to and take from other accounts (empty for most roles)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return frozenset()
    return MANAGEABLE_ROLES.get(actor.role, frozenset())


def role_choices(roles: frozenset[str]) -> list[tuple[str, str]]:
    """``roles`` as form choices, in the catalogue's order."""
    return [(str(role.value), str(role.label)) for role in Role if role in roles]


def same_scope_roles(role: str) -> frozenset[str]:
    """Roles an account with ``role`` may switch to without moving to another administration or RILO."""
    if role in ADMINISTRATION_ROLES:
        return frozenset(ADMINISTRATION_ROLES)
    if role in RILO_ROLES:
        return frozenset(RILO_ROLES)
    return frozenset({role})


def role_scope_check(role: str, administration: Administration | None, region: Region | None) -> None:
    """An account with ``role`` is placed where the role belongs: one administration, one RILO, or neither."""
    if role in ADMINISTRATION_ROLES and (administration is None or region is not None):
        raise ApplicationError(
            _("An account with the role “%(role)s” belongs to one administration.") % {"role": Role(role).label}
        )
    if role in RILO_ROLES and (region is None or administration is not None):
        raise ApplicationError(
            _("An account with the role “%(role)s” belongs to one RILO.") % {"role": Role(role).label}
        )
    if role == Role.PARTNER_SYSTEM and region is not None:
        raise ApplicationError(_("A partner system account belongs to no RILO."))
