"""Writes of the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from apps.core.actor import Actor
from apps.core.middleware import current_request_id
from apps.core.rows import insert

from .models import AuditEvent

_SCALARS = (str, int, float, bool, type(None))

# Reads of personal data: their events also say how the reader was authenticated (``via``: "token"
# with the token's ``token_prefix``, or "session"). A new kind of personal-data read is added here.
PERSONAL_READ_ACTIONS = frozenset(
    {
        "report.personal_read",
        "report.parties_read",
        "report.attachments_read",
        "report.attachment_open",
        "report.export",
        "job.download",
        "party.read",
        "upload.personal_read",
        "upload.marked_download",
    }
)


def _channel(actor: Actor | None) -> dict[str, str]:
    """How ``actor`` made the request being served: its API token (prefix only), or a web session."""
    token = getattr(actor, "authenticated_token", None)
    if token is not None:
        return {"via": "token", "token_prefix": token.display_prefix}
    if current_request_id() != "-" and getattr(actor, "is_authenticated", False):
        return {"via": "session"}
    return {}  # a worker or a command: no request, no credential


def _check_detail(detail: Any, path: str = "detail") -> None:
    """``detail`` is JSON of identifiers, codes and counts; reject anything else early."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            _check_detail(value, f"{path}.{key}")
    elif isinstance(detail, list | tuple):
        for value in detail:
            _check_detail(value, path)
    elif not isinstance(detail, _SCALARS):
        raise TypeError(f"{path} must hold JSON scalars, not {type(detail).__name__}")


def audit_request_id() -> str:
    """The id of the request being served, as an event records it ("" in a worker or a command)."""
    request_id = current_request_id()
    return "" if request_id == "-" else request_id


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    region: Any = None,
) -> AuditEvent:
    """Record that ``actor`` did ``action`` on ``obj`` (see :func:`audit_event`)."""
    event = audit_event(actor=actor, action=action, obj=obj, detail=detail, region=region)
    insert([event])  # every transition writes one: no INSERT compiled each time
    return event


def audit_records(events: list[AuditEvent]) -> None:
    """Record several events made by :func:`audit_event`, in one statement."""
    insert(events)


def audit_event(
    *,
    actor: Actor | None,
    action: str,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    region: Any = None,
) -> AuditEvent:
    """The event (not yet written) that ``actor`` did ``action`` on ``obj``.

    ``detail`` must hold identifiers, codes and counts only, never personal values (names,
    document numbers, free text). The event's administration and region come from the object
    (its own ``administration``, or the administration itself), else from the actor, so the
    auditors of that region see it. ``region`` names the region whose auditors see it when that is
    neither (a partner system's RILO, each side of a cross-region agreement). A read of personal
    data (:data:`PERSONAL_READ_ACTIONS`) made while serving a request also records whether it came
    through an API token (its prefix) or a web session.
    """
    detail = detail or {}
    _check_detail(detail)
    if action in PERSONAL_READ_ACTIONS:
        detail = {**detail, **_channel(actor)}
    administration: Any = None
    if obj is not None:
        if obj._meta.label_lower == "tenancy.administration":
            administration = obj
        else:
            administration = getattr(obj, "administration", None)
    if administration is None and actor is not None:
        administration = getattr(actor, "administration", None)
    if region is not None:
        region_id = region.pk
    elif administration is not None:
        region_id = administration.region_id
    else:
        region_id = getattr(actor, "region_id", None)
    return AuditEvent(
        actor_id=getattr(actor, "pk", None) or None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_uuid=getattr(obj, "uuid", None) if obj is not None else None,
        administration=administration,
        region_id=region_id,
        detail=detail,
        request_id=audit_request_id(),
    )
