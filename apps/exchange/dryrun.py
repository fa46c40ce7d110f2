"""Dry run of a sharing-policy change: what the proposed version would decide differently.

Before a policy version is saved, :func:`policy_dry_run` replays the partner's current version and
the proposed one over the same recent approved reports — the latest outbox snapshot of each
report the actor may see, approved or corrected within the last ``DRY_RUN_DAYS`` days, at most
``DRY_RUN_LIMIT`` of them, newest first — with the engine's own ``decide`` and ``render_document``.
It reports which reports would newly be shared, which would stop being shared, and which would
be shared with different fields; and, for a version without personal data, the free text it names
that would be left out of reports whose approving analyst did not check it, and the places that go
out only as their country. Nothing is written.

A policy applies to events from the moment it is saved: nothing already sent is re-sent, but
the next correction of a report that stops being shared retracts it (a tombstone).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.actor import Actor
from apps.reports.choices import ReportStatus
from apps.reports.models import Report

from . import reasons
from .choices import DeliveryMode, DeliveryState, EventType, PartnerState
from .models import OutboxEvent, PartnerSystem, SharingPolicy
from .policy import decide, render_document, validate_policy, withheld_free_text
from .selectors import partner_current_policy, partner_receivable_regions
from .snapshot import SECTION_FIELDS, field_catalogue

DRY_RUN_DAYS = 90
DRY_RUN_LIMIT = 500
SPEC_KEYS = (
    "personal_data",
    "regions",
    "administrations",
    "commodity_categories",
    "report_kinds",
    "thresholds",
    "embargo",
    "fields",
    "generalisations",
)


@dataclass
class ReportChange:
    """One report the proposed version treats differently, and how."""

    report_uuid: str
    national_reference: str
    administration: str
    approved_at: str | None
    reason: str = ""
    changes: list[str] = field(default_factory=list)


@dataclass
class DryRun:
    """The outcome of comparing the current and the proposed version over recent approved reports."""

    current_version: int | None
    proposed_version: int
    days: int
    limit: int
    considered: int
    truncated: bool
    newly_shared: list[ReportChange] = field(default_factory=list)
    no_longer_shared: list[ReportChange] = field(default_factory=list)
    fields_changed: list[ReportChange] = field(default_factory=list)
    unchanged_shared: int = 0
    unchanged_not_shared: int = 0
    settings_changes: list[str] = field(default_factory=list)
    partner_disabled: bool = False
    # Reports the proposed version shares without free text it names (not checked when approved).
    free_text_withheld: list[ReportChange] = field(default_factory=list)
    # Fields the proposed version always generalises (no personal data), e.g. "report.place → country".
    forced_generalisations: list[str] = field(default_factory=list)

    @property
    def has_effect(self) -> bool:
        return bool(self.newly_shared or self.no_longer_shared or self.fields_changed)


def _proposed_policy(partner: PartnerSystem, spec: Mapping[str, Any], version: int) -> SharingPolicy:
    """An unsaved policy version holding ``spec``: ``decide`` and ``render_document`` read only its attributes."""
    return SharingPolicy(partner=partner, version=version, **{key: spec[key] for key in SPEC_KEYS})


def _recent_events(*, actor: Actor, days: int, limit: int) -> list[OutboxEvent]:
    """The latest snapshot of each approved report the actor may see, approved or corrected recently."""
    since = timezone.now() - dt.timedelta(days=days)
    visible = Report.objects.restrict(actor, "view").filter(status=ReportStatus.APPROVED)
    latest = (
        OutboxEvent.objects.filter(report_uuid__in=visible.values("uuid"), created_at__gte=since)
        .order_by("report_uuid", "-pk")
        .distinct("report_uuid")
        .values("pk")
    )
    return list(
        OutboxEvent.objects.filter(pk__in=Subquery(latest))
        .exclude(type=EventType.WITHDRAWN)
        .order_by("-pk")[: limit + 1]
    )


def _flatten(document: Mapping[str, Any]) -> dict[str, Any]:
    """Field path → value(s) of a rendered document, e.g. ``{"report.place": "…", "items.quantity": ("10",)}``."""
    flat: dict[str, Any] = {}
    for key, value in (document.get("report") or {}).items():
        flat[f"report.{key}"] = value
    for section in SECTION_FIELDS:
        if section == "report" or section not in document:
            continue
        rows = document[section]
        flat[f"{section}#rows"] = len(rows)
        for key in SECTION_FIELDS[section]:
            if any(key in row for row in rows):
                flat[f"{section}.{key}"] = tuple(repr(row.get(key)) for row in rows)
    return flat


def _field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Readable differences between two rendered documents, naming fields, never their values."""
    old, new = _flatten(before), _flatten(after)
    changes = []
    for path in sorted(set(old) | set(new)):
        if path.endswith("#rows"):
            section = path.split("#", 1)[0]
            if path not in old:
                changes.append(f"{section}: now shared ({new[path]})")
            elif path not in new:
                changes.append(f"{section}: no longer shared")
            elif old[path] != new[path]:
                changes.append(f"{section}: {old[path]} shared → {new[path]}")
        elif path not in old:
            changes.append(f"{path}: added")
        elif path not in new:
            changes.append(f"{path}: removed")
        elif old[path] != new[path]:
            changes.append(f"{path}: changed (generalisation)")
    return changes


def _describe(values: Any) -> str:
    if isinstance(values, dt.timedelta):
        hours = int(values.total_seconds() // 3600)
        return f"{hours} h"
    if isinstance(values, list | tuple):
        return ", ".join(str(v) for v in values) or "none"
    if isinstance(values, dict):
        return ", ".join(f"{k} → {v}" for k, v in sorted(values.items())) or "none"
    return str(values)


def _settings_changes(current: SharingPolicy | None, proposed: SharingPolicy) -> list[str]:
    """What the proposed version changes, setting by setting."""
    changes = []
    for key in SPEC_KEYS:
        before = getattr(current, key) if current is not None else None
        after = getattr(proposed, key)
        if key == "fields":
            added = sorted(set(after) - set(before or []))
            removed = sorted(set(before or []) - set(after))
            if added:
                changes.append(f"fields added: {', '.join(added)}")
            if removed:
                changes.append(f"fields removed: {', '.join(removed)}")
            continue
        if before != after and not (before is None and not after):
            label = key.replace("_", " ")
            changes.append(f"{label}: {_describe(before) if current is not None else 'none'} → {_describe(after)}")
    return changes


def _change(event: OutboxEvent, reason: str = "", changes: list[str] | None = None) -> ReportChange:
    report = event.snapshot["report"]
    return ReportChange(
        report_uuid=str(event.report_uuid),
        national_reference=str(report.get("national_reference") or ""),
        administration=str(report.get("administration") or ""),
        approved_at=report.get("approved_at"),
        reason=reason,
        changes=changes or [],
    )


def policy_dry_run(
    *,
    actor: Actor,
    partner: PartnerSystem,
    spec: Mapping[str, Any],
    days: int = DRY_RUN_DAYS,
    limit: int = DRY_RUN_LIMIT,
) -> DryRun:
    """Compare the partner's current policy with the proposed ``spec`` over recent approved reports.

    ``spec`` holds the keyword arguments of ``partner_policy_create``; it is validated first
    (``ValidationError`` keyed by policy attribute, as saving would raise).
    """
    receivable = partner_receivable_regions(partner=partner)
    validate_policy(partner=partner, receivable=receivable, **{key: spec[key] for key in SPEC_KEYS})
    current = partner_current_policy(partner=partner)
    proposed = _proposed_policy(partner, spec, (current.version if current else 0) + 1)
    # Decide as if the partner were active: a disabled partner gets nothing whatever the policy.
    deciding = copy.copy(partner)
    deciding.state = PartnerState.ACTIVE
    events = _recent_events(actor=actor, days=days, limit=limit)
    truncated = len(events) > limit
    events = events[:limit]
    duplicates = set(
        Report.objects.filter(uuid__in=[e.report_uuid for e in events], duplicate_of__isnull=False).values_list(
            "uuid", flat=True
        )
    )
    result = DryRun(
        current_version=current.version if current else None,
        proposed_version=proposed.version,
        days=days,
        limit=limit,
        considered=len(events),
        truncated=truncated,
        settings_changes=_settings_changes(current, proposed),
        partner_disabled=partner.state == PartnerState.DISABLED,
    )
    personal = partner.personal_data_allowed
    if not (personal and proposed.personal_data):
        catalogue = field_catalogue()
        result.forced_generalisations = [
            f"{path} → {catalogue[path].forced}"
            for path in proposed.fields
            if path in catalogue and catalogue[path].forced
        ]
    for event in events:
        duplicate = event.report_uuid in duplicates
        before = decide(
            snapshot=event.snapshot,
            partner=deciding,
            policy=current,
            previously_reached=False,
            receivable=receivable,
            currently_duplicate=duplicate,
        )
        after = decide(
            snapshot=event.snapshot,
            partner=deciding,
            policy=proposed,
            previously_reached=False,
            receivable=receivable,
            currently_duplicate=duplicate,
        )
        shared_before = before.state == DeliveryState.PENDING
        shared_after = after.state == DeliveryState.PENDING
        withheld = withheld_free_text(event.snapshot, proposed, personal_allowed=personal) if shared_after else []
        if withheld:
            result.free_text_withheld.append(
                _change(event, reason=_("free text not checked by the approving analyst"), changes=withheld)
            )
        if shared_after and not shared_before:
            result.newly_shared.append(_change(event, reason=reasons.shown(before.parts)))
        elif shared_before and not shared_after:
            result.no_longer_shared.append(_change(event, reason=reasons.shown(after.parts)))
        elif shared_before and shared_after:
            old = render_document(event.snapshot, current, mode=DeliveryMode.REPORT, personal_allowed=personal)
            new = render_document(event.snapshot, proposed, mode=DeliveryMode.REPORT, personal_allowed=personal)
            changes = _field_changes(old, new)
            if changes:
                result.fields_changed.append(_change(event, changes=changes))
            else:
                result.unchanged_shared += 1
        else:
            result.unchanged_not_shared += 1
    return result
