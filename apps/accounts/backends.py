"""Authentication backends: Django's model backend, reading a user's permissions in one query."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends
from django.contrib.auth.models import Permission


class ModelBackend(backends.ModelBackend):
    """Django's :class:`~django.contrib.auth.backends.ModelBackend`, but :meth:`get_all_permissions` reads the
    user's own and their groups' permissions in one query (a union) instead of two: every API request asks for
    them once (the capability check), and they are kept on the user object for that request only, as Django's
    are, so a permission taken away counts from the next request on."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            names = ("content_type__app_label", "codename")
            if user_obj.is_superuser:
                rows = Permission.objects.values_list(*names).order_by()
            else:
                # As Django's two queries read them: the user's own, and those of the user's groups.
                own = user_obj.user_permissions.values_list(*names).order_by()
                groups = Permission.objects.filter(group__in=user_obj.groups.all()).values_list(*names).order_by()
                rows = own.union(groups)
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache  # type: ignore[no-any-return]
