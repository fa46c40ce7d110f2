"""Scope of uploads: an upload is seen by the users of its administration who may add reports.

Its file and preview hold an administration's reports before any review, drafts included, so RILO staff of
the region do not see it (as they never see drafts): they see the reports once submitted. Neither does a
superuser, unless their account belongs to the administration (the file may hold personal data). The admin alone
lists every upload to a superuser, for support: states, counts and times, never the file's name, its sender or its
rows (apps/uploads/admin.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db.models import Q

from apps.accounts.roles import ADMINISTRATION_ROLES, Role
from apps.core.actor import Actor, signed_in
from apps.core.querysets import NOTHING, RestrictedQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

# The account roles that send uploads: an administration's staff, and its national system through the API.
UPLOADER_ROLES = frozenset({*ADMINISTRATION_ROLES, Role.PARTNER_SYSTEM})


def may_upload(user: Actor) -> bool:
    """Whether ``user`` sends uploads: an administration's account that may add reports."""
    return bool(
        user.administration_id
        and user.role in UPLOADER_ROLES
        and user.has_perm("uploads.add_upload")
        and user.has_perm("reports.add_report")
    )


class UploadQuerySet(RestrictedQuerySet):
    def scope(self, user: Actor, action: str) -> Q:
        if not may_upload(user):
            return NOTHING
        return Q(administration_id=user.administration_id)

    def restrict(self, user: Actor | AnonymousUser | None, action: str = "view") -> Self:
        # The superuser short cut of restrict() is not taken: an upload is its administration's alone.
        restricted = super().restrict(user, action)
        if not signed_in(user):
            return restricted
        return restricted.filter(self.scope(user, action))

    def position(self, user: Actor) -> tuple[Any, ...]:
        return (user.role, user.administration_id)


class UploadProblemQuerySet(RestrictedQuerySet):
    """Problems are read through their upload (:func:`apps.uploads.selectors.upload_problems`)."""
