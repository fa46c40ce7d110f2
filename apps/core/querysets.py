"""Row-level access: the one place that decides which rows a user may act on.

``Model.objects.restrict(user, action)`` combines the three layers of the permission policy:

1. **capability** — the model permission ``<app>.<action>_<model>`` held through a role group;
2. **scope** — the tenant foreign key, expressed by each queryset's :meth:`scope` as a ``Q``;
3. **exceptions** — django-guardian rows in the model's direct-FK permission tables, which add
   single objects (a report shared for a joint operation, a delegated administration).

Views, API viewsets, selectors, exports and dashboards all start from ``restrict()``, so an
object outside the user's reach is simply absent (404), and lists never check rows one by one.
"""

from __future__ import annotations

from typing import Any, Self, cast

from django.db import models
from django.db.models import Q

NOTHING = Q(pk__in=[])


class RestrictedQuerySet(models.QuerySet[Any]):
    """A queryset that can be narrowed to what a user may do."""

    def restrict(self, user: Any, action: str = "view") -> Self:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if getattr(user, "is_superuser", False):
            return self
        opts = self.model._meta
        codename = f"{action}_{opts.model_name}"
        condition = NOTHING
        if user.has_perm(f"{opts.app_label}.{codename}"):
            condition = self.scope(user, action)
        condition |= self._granted_objects(user, codename)
        if condition == NOTHING:
            return self.none()
        return self.filter(condition)

    def scope(self, user: Any, action: str) -> Q:
        """Rows the user's tenant position gives access to; models override this. Default: none."""
        return NOTHING

    def _granted_objects(self, user: Any, codename: str) -> Q:
        """Objects granted one by one through django-guardian's direct-FK tables, if the model has them."""
        from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

        user_model = cast(Any, get_user_obj_perms_model(cast(Any, self.model)))
        group_model = cast(Any, get_group_obj_perms_model(cast(Any, self.model)))
        if not _is_direct(user_model):
            return NOTHING
        user_rows = user_model.objects.filter(user=user, permission__codename=codename).values("content_object_id")
        group_rows = group_model.objects.filter(group__user=user, permission__codename=codename).values(
            "content_object_id"
        )
        return Q(pk__in=user_rows) | Q(pk__in=group_rows)


def _is_direct(perm_model: Any) -> bool:
    """Guardian falls back to its generic tables for models without direct-FK ones; ignore those."""
    return perm_model._meta.app_label != "guardian"


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):  # type: ignore[misc]
    """Manager exposing :meth:`RestrictedQuerySet.restrict`."""
