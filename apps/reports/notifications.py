"""E-mails about the workflow, written to the mail outbox in the transition's transaction.

Messages name the report by reference and UUID only; no personal data of parties is mailed. They are
rendered from ``templates/reports/email/`` now, so they say exactly what the transition committed, and
sent by a worker after commit (:mod:`apps.mail.services`): a rolled-back transition mails nothing.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.mail.services import Address, mail_enqueue
from apps.tenancy.models import Administration

from .models import Report


def _context(report: Report, **extra: Any) -> dict[str, Any]:
    try:
        link = reverse("reports:detail", kwargs={"uuid": report.uuid})
    except NoReverseMatch:
        link = ""
    return {"report": report, "link": link, **extra}


def _addresses(users: Any) -> list[Address]:
    """The users' addresses, each with its owner's language (one query)."""
    return [Address(email, language) for email, language in users.values_list("email", "language")]


def _authors(report: Report) -> list[Address]:
    author_ids = [pk for pk in (report.created_by_id, report.submitted_by_id) if pk is not None]
    return _addresses(User.objects.filter(pk__in=author_ids, is_active=True))


def notify_submitted(report: Report) -> None:
    """Tell the analysts of the report's region that a report waits for review."""
    analysts = _addresses(
        User.objects.filter(role=Role.RILO_ANALYST, region_id=report.administration.region_id, is_active=True)
    )
    mail_enqueue(to=analysts, template="reports/email/submitted", context=_context(report))


def notify_submitted_in_bulk(*, administration: Administration, count: int) -> None:
    """Tell the analysts of the administration's region that ``count`` reports of one upload wait for review:
    one message for the upload, with a link to the review queue, not one per report."""
    analysts = _addresses(
        User.objects.filter(role=Role.RILO_ANALYST, region_id=administration.region_id, is_active=True)
    )
    try:
        link = reverse("reports:review_queue")
    except NoReverseMatch:
        link = ""
    mail_enqueue(
        to=analysts,
        template="reports/email/submitted_in_bulk",
        context={"administration": administration, "count": count, "link": link},
    )


def notify_returned(report: Report, comment: str) -> None:
    """Tell the report's authors it was returned for correction, with the reviewer's comment."""
    mail_enqueue(to=_authors(report), template="reports/email/returned", context=_context(report, comment=comment))


def notify_approved(report: Report) -> None:
    """Tell the report's authors it was approved (and will be forwarded)."""
    mail_enqueue(to=_authors(report), template="reports/email/approved", context=_context(report))
