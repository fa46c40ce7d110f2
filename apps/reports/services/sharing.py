"""Exceptions to a report's scope (guardian rows): shares with another administration, assigned reviewers."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from guardian.shortcuts import assign_perm, remove_perm

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.tenancy.models import Administration

from ..choices import REVIEWABLE_STATES, ReportStatus, Transition
from ..grants import REVIEWER_PERMISSIONS
from ..models import Report, ReportGroupObjectPermission
from ..querysets import administration_group_name
from .steps import lock, record, require_right, require_state


@transaction.atomic
def report_share_with_administration(
    *,
    report: Report,
    administration: Administration,
    actor: Actor,
    include_personal_data: bool = False,
    comment: str = "",
    expires_at: dt.datetime | None = None,
) -> Report:
    """Share a report read-only with another administration (e.g. for a joint operation).

    Its users may view the report; its parties and personal attachments only if
    ``include_personal_data``; until ``expires_at`` if given (then the share grants nothing, and the
    purge task removes it). Sharing again replaces both. Stored as guardian rows on the administration's group.
    """
    locked = lock(report=report, actor=actor)
    require_state(locked, REVIEWABLE_STATES, "share")
    require_right(locked, actor, "share", "share")
    if administration.pk == locked.administration_id:
        raise ValidationError({"administration": [gettext("The report already belongs to this administration.")]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": [gettext("Choose a moment in the future, or leave it empty.")]})
    group, _ = Group.objects.get_or_create(name=administration_group_name(administration.pk))
    assign_perm("reports.view_report", group, locked)
    if include_personal_data:
        assign_perm("reports.view_personal_data_report", group, locked)
    else:
        remove_perm("reports.view_personal_data_report", group, locked)
    # assign_perm keeps a row it finds (an expired one too): the share's expiry is set here, on every row of it.
    ReportGroupObjectPermission.objects.filter(group=group, content_object=locked).update(expires_at=expires_at)
    record(
        report=locked,
        actor=actor,
        transition=Transition.SHARE,
        from_status=locked.status,
        comment=comment,
        detail={
            "administration": administration.code,
            "personal_data": include_personal_data,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return locked


@transaction.atomic
def report_unshare_with_administration(*, report: Report, administration: Administration, actor: Actor) -> Report:
    """End a share made by :func:`report_share_with_administration`."""
    locked = lock(report=report, actor=actor)
    require_right(locked, actor, "share", "share")
    group = Group.objects.filter(name=administration_group_name(administration.pk)).first()
    if group is not None:
        remove_perm("reports.view_report", group, locked)
        remove_perm("reports.view_personal_data_report", group, locked)
    audit_record(actor=actor, action="report.unshare", obj=locked, detail={"administration": administration.code})
    return locked


@transaction.atomic
def report_assign_reviewer(*, report: Report, reviewer: Actor, actor: Actor) -> Report:
    """Assign a reviewer (possibly of another region) to one submitted report: they may view, return and approve it."""
    locked = lock(report=report, actor=actor)
    require_state(locked, [ReportStatus.SUBMITTED], "assign")
    require_right(locked, actor, "assign", "assign")
    if not (reviewer.is_active and reviewer.has_perm("reports.review_report")):
        raise ValidationError({"reviewer": [gettext("This user cannot review reports.")]})
    for permission in REVIEWER_PERMISSIONS:
        assign_perm(permission, reviewer, locked)
    record(
        report=locked,
        actor=actor,
        transition=Transition.ASSIGN,
        from_status=locked.status,
        detail={"reviewer": reviewer.pk},
    )
    return locked
