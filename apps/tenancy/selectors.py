"""Reads on administrations, always through ``Administration.objects.restrict``."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from apps.core.actor import Actor

from .models import Administration, Region


def administration_list(*, actor: Actor, search: str = "") -> QuerySet[Administration]:
    """Administrations the actor may change, optionally matching ``search`` (name, code or country code)."""
    administrations = Administration.objects.restrict(actor, "change").select_related("region")
    search = search.strip()
    if search:
        administrations = administrations.filter(
            Q(name__icontains=search) | Q(code__icontains=search) | Q(country__iexact=search)
        )
    return administrations.annotate(user_count=Count("users")).order_by("name")


def administration_changeable(*, actor: Actor) -> QuerySet[Administration]:
    """Administrations the actor may edit."""
    return Administration.objects.restrict(actor, "change").select_related("region")


def actor_region(*, actor: Actor) -> Region | None:
    """The RILO the actor works for (RILO staff), or None."""
    return Region.objects.filter(pk=actor.region_id).first() if actor.region_id else None
