"""Object grants on reports end when their purpose does (DESIGN.md section 5, third layer).

- An assigned reviewer's rights (guardian rows on :class:`ReportUserObjectPermission`) exist for the
  review only: the transition that takes the report out of review (approval, return, withdrawal)
  removes them in its own transaction, audited (:func:`review_assignments_end`).
- A share (guardian rows of an administration's group on :class:`ReportGroupObjectPermission`) may
  carry an ``expires_at``: from then on ``restrict()`` ignores it in SQL
  (:func:`apps.core.querysets.unexpired`); :func:`report_share_purge_expired`, run by Celery beat,
  deletes the expired rows and records each ended share in the audit log.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models.functions import Now

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.tenancy.models import Administration

from .models import Report, ReportGroupObjectPermission, ReportUserObjectPermission
from .querysets import administration_group_name

# What an assigned reviewer may do on the one report assigned to them.
REVIEWER_PERMISSIONS = (
    "reports.view_report",
    "reports.review_report",
    "reports.approve_report",
    "reports.view_personal_data_report",
)
_REVIEWER_CODENAMES = tuple(permission.partition(".")[2] for permission in REVIEWER_PERMISSIONS)


def review_assignments_end(*, report: Report, actor: Actor) -> list[int]:
    """Remove the assigned reviewers' rights on ``report``, in the caller's transaction (a workflow transition
    that takes the report out of review, its row locked); audited with the reviewers' ids. Returns those ids."""
    rows = ReportUserObjectPermission.objects.filter(
        content_object_id=report.pk, permission__codename__in=_REVIEWER_CODENAMES
    )
    reviewers = sorted(set(rows.values_list("user_id", flat=True)))
    if not reviewers:
        return []
    rows.delete()
    audit_record(
        actor=actor,
        action="report.assignment_end",
        obj=report,
        detail={"reviewers": reviewers, "status": report.status},
    )
    return reviewers


@transaction.atomic
def report_share_purge_expired() -> int:
    """Delete the share rows whose ``expires_at`` has passed (by the database's clock); shares without an
    expiry or not yet expired stay. Each ended share is recorded in the audit log (report, administration).
    Safe to run at any time, any number of times. Returns the number of rows deleted."""
    expired = ReportGroupObjectPermission.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        expires_at__lte=Now()
    )
    rows = list(expired.values_list("pk", "content_object_id", "group__name"))
    if not rows:
        return 0
    deleted, _ = ReportGroupObjectPermission.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
    ended: dict[int, set[str]] = defaultdict(set)
    for _, report_id, group_name in rows:
        ended[report_id].add(group_name)
    codes = _administration_codes({name for names in ended.values() for name in names})
    reports = Report.objects.select_related("administration").in_bulk(list(ended))
    for report_id, group_names in sorted(ended.items()):
        report = reports.get(report_id)
        if report is None:
            continue
        for group_name in sorted(group_names):
            audit_record(
                actor=None,
                action="report.share_expire",
                obj=report,
                detail={"administration": codes.get(group_name, group_name)},
            )
    return deleted


def _administration_codes(group_names: set[str]) -> dict[str, str]:
    """The administration code each share group stands for (see :func:`administration_group_name`)."""
    ids = [int(tail) for name in group_names if (tail := name.rpartition(":")[2]).isdigit()]
    return {
        administration_group_name(pk): code
        for pk, code in Administration.objects.filter(pk__in=ids).values_list("pk", "code")
    }
