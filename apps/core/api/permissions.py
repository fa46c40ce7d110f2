"""Permission classes shared by every API view.

* :class:`TokenScopePermission` (a default): a request authenticated by an API token may only do
  what the token's scopes allow. Safe methods need ``read``, unsafe ones ``write``; a view or a
  viewset action declares anything else with ``required_scope`` (``@action(..., required_scope="review")``).
  Scopes only narrow a token: the account's capabilities and restrict() still decide the rest.
  Session-authenticated requests (the Swagger UI) are not limited by scopes.
* :class:`ModelCapabilityPermission`: the capability layer for non-tenant models; safe methods
  need ``<app>.view_<model>``, writes the add/change/delete permissions.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions

READ, WRITE, REVIEW = "read", "write", "review"
SCOPES = (READ, WRITE, REVIEW)


class InsufficientScope(exceptions.PermissionDenied):
    """The token is valid but lacks the scope the operation needs (RFC 6750 ``insufficient_scope``)."""

    default_code = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(f"This token lacks the '{scope}' scope this operation needs.", code=self.default_code)
        self.scope = scope
        self.error_details = {"required_scope": scope}
        self.bearer_error = f'error="insufficient_scope", scope="{scope}"'


def required_scope_for(request: Any, view: Any) -> str:
    """The scope an operation needs: the view's ``required_scope``, else read or write by method."""
    declared = getattr(view, "required_scope", None)
    if declared:
        return str(declared)
    return READ if request.method in SAFE_METHODS else WRITE


def token_scopes(request: Any) -> frozenset[str] | None:
    """The scopes of the API token that authenticated the request, or None for other authentication."""
    scopes = getattr(request.auth, "scopes", None)
    return None if scopes is None else frozenset(scopes)


class RequiredScopeMixin:
    """For viewsets: lets actions declare ``@action(..., required_scope="review")``.

    DRF passes an action's extra arguments to the view as attributes, but only attributes the
    class already has; this declares it (``None``: read or write by method).
    """

    required_scope: str | None = None


class TokenScopePermission(BasePermission):
    """A token-authenticated request needs the operation's scope (see module docstring)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        scopes = token_scopes(request)
        if scopes is None:
            return True
        needed = required_scope_for(request, view)
        if needed not in scopes:
            raise InsufficientScope(needed)
        return True


class ModelCapabilityPermission(DjangoModelPermissions):
    """Model permissions held through the role group, including ``view`` for reads."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }
