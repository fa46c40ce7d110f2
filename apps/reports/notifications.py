"""E-mails about the workflow, sent after the transaction commits.

Messages name the report by reference and UUID only; no personal data of parties is mailed.
Failures are logged, never raised: the transition has already committed. What a message says is
taken in the transition's transaction (:class:`Mailed`), so sending reads only the recipients.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db import connection
from django.urls import NoReverseMatch, reverse

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.mail import mail_send

from .models import Report


@dataclass(frozen=True)
class Mailed:
    """What the e-mails say about a report, taken in the transition's transaction (so exactly what committed)."""

    uuid: UUID
    national_reference: str
    version: int
    administration: str
    region_id: int
    author_ids: tuple[int, ...]

    @classmethod
    def of(cls, report: Report) -> Mailed:
        return cls(
            uuid=report.uuid,
            national_reference=report.national_reference,
            version=report.version,
            administration=str(report.administration),
            region_id=report.administration.region_id,
            author_ids=tuple(pk for pk in (report.created_by_id, report.submitted_by_id) if pk is not None),
        )


def _link(report: Mailed) -> str:
    try:
        return reverse("reports:detail", kwargs={"uuid": report.uuid})
    except NoReverseMatch:
        return ""


_ACTIVE_EMAILS = f"SELECT email FROM {User._meta.db_table} WHERE id = ANY(%s) AND is_active"  # noqa: S608


def _authors(report: Mailed) -> list[str]:
    if not report.author_ids:
        return []
    with connection.cursor() as cursor:
        # Every approval mails its authors: a plain statement rather than a queryset compiled each time.
        cursor.execute(_ACTIVE_EMAILS, [list(report.author_ids)])
        return [email for (email,) in cursor.fetchall()]


def notify_submitted(report: Mailed) -> None:
    """Tell the analysts of the report's region that a report waits for review."""
    analysts = User.objects.filter(role=Role.RILO_ANALYST, region_id=report.region_id, is_active=True).values_list(
        "email", flat=True
    )
    body = (
        f"{report.administration} submitted report {report.national_reference} ({report.uuid}) for review.\n"
        f"{_link(report)}\n"
    )
    mail_send(to=analysts, subject=f"[RILO] Report {report.national_reference} submitted for review", body=body)


def notify_returned(report: Mailed, comment: str) -> None:
    """Tell the report's authors it was returned for correction, with the reviewer's comment."""
    body = (
        f"Report {report.national_reference} ({report.uuid}) was returned for correction.\n\n"
        f"Reviewer's comment:\n{comment}\n\n{_link(report)}\n"
    )
    mail_send(
        to=_authors(report), subject=f"[RILO] Report {report.national_reference} returned for correction", body=body
    )


def notify_approved(report: Mailed) -> None:
    """Tell the report's authors it was approved (and will be forwarded)."""
    body = (
        f"Report {report.national_reference} ({report.uuid}) was approved, version {report.version}.\n{_link(report)}\n"
    )
    mail_send(to=_authors(report), subject=f"[RILO] Report {report.national_reference} approved", body=body)
