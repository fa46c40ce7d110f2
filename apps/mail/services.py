"""The mail outbox: messages are written in the act's transaction and sent by a worker after commit.

:func:`mail_enqueue` renders a message from templates and writes one row per recipient, in the caller's
transaction: a rolled-back act mails nothing, a committed one cannot lose its mail. After commit it asks a
worker (task ``mail.deliver``, published by name) to send them; if the broker is down the kick is dropped
and the beat task ``mail.sweep`` sends them later, so correctness never depends on the kick.

:func:`mail_deliver` claims due rows (``SELECT … FOR UPDATE SKIP LOCKED``, then a conditional update to
``sending`` with a lease), sends them over one SMTP connection and records each outcome with a conditional
update, so a row sent is never sent again. A failure puts the row back with a later ``next_attempt_at``
(exponential backoff kept in the database, not in Celery countdowns); after ``RILO_MAIL_MAX_ATTEMPTS`` it is
``failed``, logged, and listed in the admin. A worker that dies mid-send leaves its rows ``sending``: once
their lease passes, the sweep takes them again (a message the server had accepted may then arrive twice).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone, translation

from apps.core.kicks import task_kick
from apps.core.languages import chosen_language, offered_languages

from . import task_names
from .choices import MailState
from .models import MailMessage

logger = logging.getLogger(__name__)


class Recipient(Protocol):
    """Whom to write to and in which language: an account (``User``) or an :class:`Address`."""

    @property
    def email(self) -> str: ...

    @property
    def language(self) -> str: ...


@dataclass(frozen=True)
class Address:
    """An address to write to in a given language (blank: the site's default), such as an account's previous
    address, or a manager's address read with the manager's language in one query."""

    email: str
    language: str = ""


def mail_enqueue(*, to: Iterable[str | Recipient], template: str, context: Mapping[str, Any]) -> list[int]:
    """Render ``<template>_subject.txt`` and ``<template>_body.txt`` with ``context`` in each recipient's
    language and write one message per distinct, non-blank address (recipients never see each other); after
    the current transaction commits, ask a worker to send them. Returns the new rows' ids.

    A recipient given as an account (or an :class:`Address`) is written to in its language: the account the
    message is about decides, even when another account shares its address. A bare address is written to in
    the language chosen on the account with that address. No choice (or a language no longer offered) means
    the site's default language, never the sender's: the reader of an e-mail is not the person whose click
    sent it. Lazy texts in ``context`` are rendered in each recipient's language too.
    """
    chosen: dict[str, str] = {}
    bare: set[str] = set()
    for item in to:
        if isinstance(item, str):
            if item:
                bare.add(item)
        elif item.email:
            chosen.setdefault(item.email, chosen_language(item))
    addresses = sorted(bare | set(chosen))
    if not addresses:
        return []
    looked_up = recipient_languages([address for address in addresses if address not in chosen])
    rendered: dict[str, tuple[str, str]] = {}
    rows: list[MailMessage] = []
    for address in addresses:
        language = (chosen[address] if address in chosen else looked_up.get(address.lower())) or settings.LANGUAGE_CODE
        if language not in rendered:
            with translation.override(language):
                rendered[language] = (
                    " ".join(render_to_string(f"{template}_subject.txt", dict(context)).split()),
                    str(render_to_string(f"{template}_body.txt", dict(context))),
                )
        subject, body = rendered[language]
        rows.append(MailMessage(kind=template, recipient=address, subject=subject, body=body, language=language))
    ids = [row.pk for row in MailMessage.objects.bulk_create(rows)]
    transaction.on_commit(partial(_kick, ids))
    return ids


def recipient_languages(addresses: Sequence[str]) -> dict[str, str]:
    """The language chosen on the accounts with these addresses, by lower-cased address (one query; none for
    no address). A language no longer offered counts as no choice.

    Two accounts may share an address; the active one, then the most recent, decides.
    """
    if not addresses:
        return {}
    accounts = (
        get_user_model()
        .objects.annotate(address=Lower("email"))
        .filter(address__in=[address.lower() for address in addresses], language__in=offered_languages())
        .order_by("is_active", "pk")
        .values_list("address", "language")
    )
    # Later rows (active, newer) overwrite earlier ones.
    return dict(accounts)


def _kick(ids: list[int]) -> None:
    """Ask a worker to send these messages now; without a broker, leave them to the sweep."""
    task_kick(task_names.DELIVER, ids, fallback="the mail sweep will send them")


def _due(now: Any) -> Q:
    return Q(state=MailState.PENDING, next_attempt_at__lte=now) | Q(state=MailState.SENDING, claimed_until__lt=now)


def _claim(*, ids: Sequence[int] | None, limit: int) -> list[MailMessage]:
    """Take up to ``limit`` due messages (of ``ids`` if given) for this worker: ``sending``, leased."""
    now = timezone.now()
    with transaction.atomic():
        due = MailMessage.objects.filter(_due(now))
        if ids is not None:
            due = due.filter(pk__in=ids)
        claimed = list(
            due.order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not claimed:
            return []
        MailMessage.objects.filter(pk__in=claimed).update(
            state=MailState.SENDING,
            claimed_until=now + timedelta(seconds=settings.RILO_MAIL_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    return list(MailMessage.objects.filter(pk__in=claimed).order_by("pk"))


def _ours(message: MailMessage) -> Any:
    """The row, if this worker's claim on it still holds."""
    return MailMessage.objects.filter(pk=message.pk, state=MailState.SENDING, claimed_until=message.claimed_until)


def _sent(message: MailMessage) -> None:
    # The body may hold a one-time password link: it is not kept once delivered.
    _ours(message).update(state=MailState.SENT, sent_at=timezone.now(), body="", claimed_until=None, last_error="")


def _attempt_failed(message: MailMessage, error: BaseException) -> None:
    reason = f"{type(error).__name__}: {error}"[:2000]
    if message.attempts >= settings.RILO_MAIL_MAX_ATTEMPTS:
        _ours(message).update(state=MailState.FAILED, claimed_until=None, last_error=reason)
        logger.error(
            "could not send %r to message %d's recipient after %d attempts, given up: %s",
            message.subject,
            message.pk,
            message.attempts,
            reason,
        )
        return
    delay = min(
        settings.RILO_MAIL_RETRY_BASE_SECONDS * settings.RILO_MAIL_RETRY_FACTOR ** (message.attempts - 1),
        settings.RILO_MAIL_RETRY_MAX_SECONDS,
    )
    _ours(message).update(
        state=MailState.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        claimed_until=None,
        last_error=reason,
    )
    logger.warning(
        "could not send %r (message %d, attempt %d), retrying in %.0f s: %s",
        message.subject,
        message.pk,
        message.attempts,
        delay,
        reason,
    )


def _connection_survives(error: BaseException) -> bool:
    """The server refused this one message but the session goes on (421: the server is closing it)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code != 421


def mail_deliver(*, ids: Sequence[int] | None = None, limit: int | None = None) -> int:
    """Send the due messages among ``ids`` (all due messages if ``None``), up to ``limit`` (``RILO_MAIL_BATCH``),
    over one SMTP connection. Each is marked sent, or put back for a later attempt, or failed after the last.
    Safe to run at any time, in any number of workers. Returns how many were sent."""
    messages = _claim(ids=ids, limit=limit or settings.RILO_MAIL_BATCH)
    if not messages:
        return 0
    connection = get_connection(fail_silently=False)
    sent = 0
    try:
        connection.open()
    except Exception as error:
        for message in messages:
            _attempt_failed(message, error)
        return 0
    try:
        for index, message in enumerate(messages):
            email = EmailMessage(
                message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient], connection=connection
            )
            try:
                email.send()
            except Exception as error:
                _attempt_failed(message, error)
                if not _connection_survives(error):
                    for rest in messages[index + 1 :]:
                        _attempt_failed(rest, error)
                    break
            else:
                _sent(message)
                sent += 1
    finally:
        try:
            connection.close()
        except Exception:  # the session is over either way
            logger.debug("closing the SMTP connection failed", exc_info=True)
    return sent


def mail_requeue(*, ids: Sequence[int]) -> int:
    """Give failed messages a fresh round of attempts, now; returns how many. Sent messages stay sent."""
    count = MailMessage.objects.filter(pk__in=ids, state=MailState.FAILED).update(
        state=MailState.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    if count:
        transaction.on_commit(partial(_kick, list(ids)))
    return count


def mail_purge_sent() -> int:
    """Delete messages sent, or given up on, more than ``RILO_MAIL_RETENTION_DAYS`` ago; returns how many.

    A failed message keeps its body (a one-time link, a reviewer's comment) only so staff can send it again
    once the mail server is mended; past the retention period it goes too."""
    before = timezone.now() - timedelta(days=settings.RILO_MAIL_RETENTION_DAYS)
    done = Q(state=MailState.SENT, sent_at__lt=before) | Q(state=MailState.FAILED, created_at__lt=before)
    deleted, _ = MailMessage.objects.filter(done).delete()
    return deleted
