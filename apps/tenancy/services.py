"""Writes on administrations (the tenants)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import NotFound, PermissionDenied

from .models import Administration

EDITABLE_FIELDS = frozenset({"name", "country", "code", "active"})


@transaction.atomic
def administration_create(*, actor: Actor, name: str, country: str, code: str, active: bool = True) -> Administration:
    """Add a member administration to the actor's RILO (the region always comes from the actor)."""
    if not actor.has_perm("tenancy.add_administration"):
        raise PermissionDenied(_("You may not add administrations."))
    if not actor.region_id:
        raise PermissionDenied(_("Only staff of a RILO can add administrations to it."))
    administration = Administration(region_id=actor.region_id, name=name, country=country, code=code, active=active)
    administration.full_clean()
    administration.save()
    # The new row must be within the actor's reach; otherwise the creation is rolled back.
    if not Administration.objects.restrict(actor, "change").filter(pk=administration.pk).exists():
        raise PermissionDenied(_("You may not manage this administration."))
    detail = {"code": administration.code, "country": str(administration.country), "active": administration.active}
    audit_record(actor=actor, action="tenancy.administration_create", obj=administration, detail=detail)
    return administration


@transaction.atomic
def administration_update(*, actor: Actor, administration: Administration, **fields: Any) -> Administration:
    """Change an administration of the actor's reach: name, country, code or whether it is active.

    An inactive administration stays with its users and reports; no new accounts are created in it.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    if not Administration.objects.restrict(actor, "change").filter(pk=administration.pk).exists():
        raise NotFound(_("This administration does not exist."))
    before = {name: str(getattr(administration, name)) for name in EDITABLE_FIELDS}
    for name, value in fields.items():
        setattr(administration, name, value)
    administration.full_clean()
    administration.save()
    changed = sorted(name for name in EDITABLE_FIELDS if str(getattr(administration, name)) != before[name])
    if changed:
        # An administration's name, code and country are not personal: the log keeps old and new values.
        detail = {
            "code": administration.code,
            "fields": changed,
            "from": {name: before[name] for name in changed},
            "to": {name: str(getattr(administration, name)) for name in changed},
        }
        audit_record(actor=actor, action="tenancy.administration_update", obj=administration, detail=detail)
    return administration
