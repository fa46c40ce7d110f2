"""The mail outbox against a real SMTP server on loopback: sent once, retried with backoff, failed visibly."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.mail.choices import MailState
from apps.mail.models import MailMessage
from apps.mail.services import mail_deliver, mail_enqueue, mail_purge_sent, mail_requeue
from tests.factories import UserFactory
from tests.helpers import sign_in

from .smtp import SmtpServer

TEMPLATE = "accounts/email/two_factor_reset"
CONTEXT = {"username": "alice", "by": "cora"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    settings.EMAIL_TIMEOUT = 2
    yield server
    server.stop()


def make_due(*messages: MailMessage) -> None:
    """Time passes: the next attempt of these messages is due now."""
    MailMessage.objects.filter(pk__in=[m.pk for m in messages]).update(next_attempt_at=timezone.now())


def test_a_message_is_written_per_distinct_recipient_and_sent_once(smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as kicks:
        ids = mail_enqueue(
            to=["b@example.org", "a@example.org", "", "b@example.org"], template=TEMPLATE, context=CONTEXT
        )
    assert len(kicks) == 1  # a worker is asked after commit, not before
    assert sorted(MailMessage.objects.filter(pk__in=ids).values_list("recipient", "state")) == [
        ("a@example.org", MailState.PENDING),
        ("b@example.org", MailState.PENDING),
    ]
    assert smtp.received == []  # nothing leaves in the act itself

    assert mail_deliver(ids=ids) == 2
    assert [message.recipients for message in smtp.received] == [["a@example.org"], ["b@example.org"]]
    assert smtp.received[0].subject == "[RILO] Your two-factor authentication was reset"
    assert "reset by cora" in smtp.received[0].body

    assert mail_deliver(ids=ids) == 0  # a kick delivered twice, or the sweep: never sent again
    assert mail_deliver() == 0
    assert len(smtp.received) == 2
    sent = MailMessage.objects.get(recipient="a@example.org")
    assert (sent.state, sent.attempts, sent.body) == (MailState.SENT, 1, "")  # the body is not kept
    assert sent.sent_at is not None


def test_a_rolled_back_act_leaves_no_message(smtp):
    with pytest.raises(RuntimeError), transaction.atomic():
        mail_enqueue(to=["a@example.org"], template=TEMPLATE, context=CONTEXT)
        raise RuntimeError("the act fails")
    assert not MailMessage.objects.exists()
    assert mail_deliver() == 0
    assert smtp.received == []


def test_a_dead_mail_server_is_retried_with_backoff_then_the_message_is_sent(smtp, settings, caplog):
    settings.RILO_MAIL_RETRY_BASE_SECONDS = 60
    settings.RILO_MAIL_RETRY_FACTOR = 2
    [pk] = mail_enqueue(to=["a@example.org"], template=TEMPLATE, context=CONTEXT)
    smtp.stop()

    assert mail_deliver() == 0
    message = MailMessage.objects.get(pk=pk)
    assert (message.state, message.attempts) == (MailState.PENDING, 1)
    assert message.next_attempt_at >= message.created_at + timedelta(seconds=60)
    assert "ConnectionRefusedError" in message.last_error
    assert "could not send '[RILO] Your two-factor authentication was reset'" in caplog.text
    assert mail_deliver() == 0  # not due yet: the sweep leaves it alone

    make_due(message)
    assert mail_deliver() == 0
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at >= timezone.now() + timedelta(seconds=100)  # 60 s, then 120 s

    smtp.start()  # the server is back
    make_due(message)
    assert mail_deliver() == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (MailState.SENT, 3, "")
    assert [m.recipients for m in smtp.received] == [["a@example.org"]]


def test_a_message_failing_every_attempt_is_marked_failed_logged_and_can_be_sent_again(smtp, settings, caplog):
    settings.RILO_MAIL_MAX_ATTEMPTS = 2
    [pk] = mail_enqueue(to=["a@example.org"], template=TEMPLATE, context=CONTEXT)
    smtp.stop()
    mail_deliver()
    make_due(MailMessage(pk=pk))
    with caplog.at_level(logging.ERROR, logger="apps.mail.services"):
        mail_deliver()
    message = MailMessage.objects.get(pk=pk)
    assert (message.state, message.attempts) == (MailState.FAILED, 2)
    assert "after 2 attempts, given up" in caplog.text
    make_due(message)
    assert mail_deliver() == 0  # failed is final until someone asks again

    smtp.start()
    assert mail_requeue(ids=[pk]) == 1
    assert mail_deliver() == 1
    assert MailMessage.objects.get(pk=pk).state == MailState.SENT


def test_a_recipient_the_server_refuses_does_not_stop_the_others(smtp):
    smtp.refuse = {"gone@example.org"}
    mail_enqueue(to=["gone@example.org", "here@example.org"], template=TEMPLATE, context=CONTEXT)
    assert mail_deliver() == 1
    assert [m.recipients for m in smtp.received] == [["here@example.org"]]
    refused = MailMessage.objects.get(recipient="gone@example.org")
    assert (refused.state, refused.attempts) == (MailState.PENDING, 1)
    assert "SMTPRecipientsRefused" in refused.last_error


def test_a_message_left_sending_by_a_dead_worker_is_taken_again_once_its_lease_passes(smtp):
    [pk] = mail_enqueue(to=["a@example.org"], template=TEMPLATE, context=CONTEXT)
    soon = timezone.now() + timedelta(minutes=5)
    MailMessage.objects.filter(pk=pk).update(state=MailState.SENDING, claimed_until=soon, attempts=1)
    assert mail_deliver() == 0  # another worker holds it
    MailMessage.objects.filter(pk=pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert mail_deliver() == 1
    assert MailMessage.objects.get(pk=pk).attempts == 2


def test_sent_messages_are_purged_after_their_retention(smtp, settings):
    settings.RILO_MAIL_RETENTION_DAYS = 7
    old, recent = mail_enqueue(to=["a@example.org", "b@example.org"], template=TEMPLATE, context=CONTEXT)
    mail_deliver()
    MailMessage.objects.filter(pk=old).update(sent_at=timezone.now() - timedelta(days=8))
    assert mail_purge_sent() == 1
    assert list(MailMessage.objects.values_list("pk", flat=True)) == [recent]


def test_failed_messages_and_their_one_time_links_are_purged_after_the_retention_too(smtp, settings):
    settings.RILO_MAIL_RETENTION_DAYS = 7
    settings.RILO_MAIL_MAX_ATTEMPTS = 1
    old, recent = mail_enqueue(to=["a@example.org", "b@example.org"], template=TEMPLATE, context=CONTEXT)
    smtp.stop()
    mail_deliver()
    assert set(MailMessage.objects.values_list("state", flat=True)) == {MailState.FAILED}
    MailMessage.objects.filter(pk=old).update(created_at=timezone.now() - timedelta(days=8))
    assert mail_purge_sent() == 1
    assert list(MailMessage.objects.values_list("pk", flat=True)) == [recent]


def test_staff_see_a_failed_message_and_why_in_the_admin_but_not_its_body(smtp, settings, client, grace, region_we):
    settings.RILO_MAIL_MAX_ATTEMPTS = 1
    [pk] = mail_enqueue(to=["a@example.org"], template="accounts/email/two_factor_reset", context=CONTEXT)
    MailMessage.objects.filter(pk=pk).update(body="secret link")
    smtp.stop()
    mail_deliver()
    staff = UserFactory.create(username="stella", role=Role.RILO_ADMINISTRATOR, region=region_we, is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="mail"))
    sign_in(client, staff)

    listing = client.get(reverse("admin:mail_mailmessage_changelist") + "?state__exact=failed")
    assert listing.status_code == 200
    assert "a@example.org" in listing.text and "two-factor" in listing.text
    page = client.get(reverse("admin:mail_mailmessage_change", args=[pk]))
    assert page.status_code == 200
    assert "ConnectionRefusedError" in page.text
    assert "secret link" not in page.text

    sign_in(client, grace)  # a RILO administrator who is not staff: the outbox is not theirs
    assert client.get(reverse("admin:mail_mailmessage_changelist")).status_code == 403
