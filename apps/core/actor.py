"""Who is acting: the one type services, selectors and querysets take for the acting user.

A service never needs the whole user model, only what decides scope and rights. Typing the
acting user as :class:`Actor` (rather than ``Any``) lets mypy check every call, and lets a
partner system's account, a person and a test persona stand in alike.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeGuard, runtime_checkable


@runtime_checkable
class Actor(Protocol):
    """The acting user as services see it: identity, role, scope and permission checks."""

    @property
    def pk(self) -> Any: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def administration_id(self) -> int | None: ...

    @property
    def region_id(self) -> int | None: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def is_superuser(self) -> bool: ...

    @property
    def is_authenticated(self) -> bool: ...

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...

    def get_all_permissions(self, obj: Any = None) -> set[str]: ...

    def get_username(self) -> str: ...


def signed_in(user: object) -> TypeGuard[Actor]:
    """Whether ``user`` is a signed-in account: ``None`` and an anonymous visitor are no actor."""
    return user is not None and bool(getattr(user, "is_authenticated", False))
