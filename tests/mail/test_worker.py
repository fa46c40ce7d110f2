"""Mail leaves through a real Celery worker (with beat) to a real SMTP server on loopback.

A reviewer's approval only writes the message; the worker sends it after commit. With the mail server
down, the request still returns and the message waits, then arrives once when the server is back.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.mail.choices import MailState
from apps.mail.models import MailMessage
from apps.reports.models import Report
from bench.partners import wait_for
from tests.builders import analyst, build_report
from tests.helpers import sign_in

from .smtp import SmtpServer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FAST = {
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "DJANGO_EMAIL_HOST": "127.0.0.1",
    "DJANGO_EMAIL_TIMEOUT": "2",
    "RILO_MAIL_RETRY_BASE_SECONDS": "0.3",
    "RILO_MAIL_RETRY_MAX_SECONDS": "1",
    "RILO_MAIL_MAX_ATTEMPTS": "1000",
    "RILO_MAIL_SWEEP_SECONDS": "0.5",
}
WAIT = 30.0


def approve_through_the_page(client, report: Report) -> None:
    sign_in(client, analyst(report))
    response = client.post(reverse("reports:approve", kwargs={"uuid": report.uuid}))
    assert response.status_code == 302


def authored_report(france, alice) -> Report:
    report = build_report(by=france, reference="FR-MAIL-1")
    Report.objects.filter(pk=report.pk).update(created_by=alice, submitted_by=alice)
    return report


def sent(message: MailMessage) -> MailMessage | None:
    message.refresh_from_db()
    return message if message.state == MailState.SENT else None


def test_an_approval_is_mailed_to_its_author_by_the_worker(client, france, alice, start_worker):
    smtp = SmtpServer().start()
    try:
        worker = start_worker(**FAST, DJANGO_EMAIL_PORT=str(smtp.port))
        approve_through_the_page(client, authored_report(france, alice))
        message = MailMessage.objects.get(recipient=alice.email)
        wait_for(lambda: sent(message), timeout=WAIT, message=f"not sent:\n{worker.log()[-3000:]}")
        [received] = smtp.to(alice.email)
        assert "FR-MAIL-1" in received.subject
        assert "was approved, version 1." in received.body
    finally:
        smtp.stop()


def test_with_the_mail_server_down_the_approval_returns_and_its_mail_arrives_once_the_server_is_back(
    client, france, alice, start_worker
):
    smtp = SmtpServer()  # its port refuses connections until it starts
    worker = start_worker(**FAST, DJANGO_EMAIL_PORT=str(smtp.port))
    approve_through_the_page(client, authored_report(france, alice))
    message = MailMessage.objects.get(recipient=alice.email)
    assert message.state in {MailState.PENDING, MailState.SENDING}  # the request did not wait for it

    wait_for(
        lambda: MailMessage.objects.filter(pk=message.pk, attempts__gte=2, state=MailState.PENDING).first(),
        timeout=WAIT,
        message=f"the worker did not retry:\n{worker.log()[-3000:]}",
    )
    smtp.start()
    try:
        wait_for(lambda: sent(message), timeout=WAIT, message=f"not sent:\n{worker.log()[-3000:]}")
        assert len(smtp.to(alice.email)) == 1
        assert message.attempts >= 3
    finally:
        smtp.stop()
