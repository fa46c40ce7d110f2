"""The acting user of a request, as the :class:`~apps.core.actor.Actor` services and selectors take.

Views reach services only behind ``login_required`` or an API permission, so an anonymous user
here is a wiring mistake: refused (HTTP 403 / the login page's job), never passed on.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from .actor import Actor, signed_in
from .exceptions import PermissionDenied


def request_actor(request: Any) -> Actor:
    """``request.user`` once signed in (a Django or a DRF request)."""
    user = request.user
    if not signed_in(user):
        raise PermissionDenied(_("Sign in first."))
    return user
