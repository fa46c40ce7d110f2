"""Who may manage a partner: the check every write about a partner (its agreements too) asks first.

Its own module so that :mod:`.partners`, :mod:`.policies` and :mod:`.agreements` all import it at the
top, none of them importing another for it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.core.actor import Actor
from apps.core.exceptions import NotFound, PermissionDenied

from ..models import PartnerSystem


def partner_require_manager(*, actor: Actor, partner: PartnerSystem | None = None) -> None:
    """The actor manages partners (capability), and this one is in their RILO (else it does not exist).

    The one place this rule lives: every write about a partner (its agreements too) asks it first.
    """
    if partner is not None and not PartnerSystem.objects.restrict(actor, "view").filter(pk=partner.pk).exists():
        raise NotFound(_("No such partner system."))
    if not actor.has_perm("exchange.change_partnersystem"):
        raise PermissionDenied(_("Only RILO administrators manage partner systems."))
    if partner is not None and not PartnerSystem.objects.restrict(actor, "change").filter(pk=partner.pk).exists():
        raise NotFound(_("No such partner system."))
