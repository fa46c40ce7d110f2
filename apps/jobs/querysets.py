"""Scope of background jobs: a job is its owner's alone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db.models import Q

from apps.core.actor import Actor, signed_in
from apps.core.querysets import RestrictedQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class JobQuerySet(RestrictedQuerySet):
    def scope(self, user: Actor, action: str) -> Q:
        return Q(owner_id=user.pk)

    def restrict(self, user: Actor | AnonymousUser | None, action: str = "view") -> Self:
        # A job's file is what its owner's rights let them read (personal data included): nobody else sees it,
        # neither staff of the same region nor a superuser (whom restrict() otherwise lets through).
        restricted = super().restrict(user, action)
        if not signed_in(user):
            return restricted
        return restricted.filter(self.scope(user, action))

    def position(self, user: Actor) -> tuple[Any, ...]:
        return ()
