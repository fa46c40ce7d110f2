"""The one application error type; views and the API render it in one shape."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class ApplicationError(Exception):
    """A business rule refused an action. ``status`` is the HTTP status the API answers with."""

    status = 400
    code = "invalid"

    def __init__(self, message: str | Promise, *, extra: dict[str, Any] | None = None, code: str | None = None) -> None:
        # A lazily translated message is rendered now, in the language of the request that raised it.
        message = str(message)
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if code:
            self.code = code


class NotFound(ApplicationError):
    """The object does not exist, or the actor may not know it exists."""

    status = 404
    code = "not_found"


class Conflict(ApplicationError):
    """The object's current state forbids the action (e.g. an illegal workflow transition)."""

    status = 409
    code = "conflict"


class PermissionDenied(ApplicationError):
    """The actor lacks the capability for an action on an object it is allowed to see."""

    status = 403
    code = "permission_denied"
