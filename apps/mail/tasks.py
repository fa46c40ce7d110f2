"""Workers send the mail outbox; beat sweeps up what a lost kick or a failed attempt left due."""

from __future__ import annotations

from celery import shared_task

from . import task_names
from .services import mail_deliver, mail_purge_sent


@shared_task(name=task_names.DELIVER, acks_late=True, ignore_result=True)
def deliver(ids: list[int]) -> int:
    """Send these messages if still due (a message already sent is skipped)."""
    return mail_deliver(ids=ids)


@shared_task(name=task_names.SWEEP, acks_late=True, ignore_result=True)
def sweep() -> int:
    """Send a batch of due messages: retries whose time has come, and messages whose kick was lost."""
    return mail_deliver()


@shared_task(name=task_names.PURGE_SENT, acks_late=True, ignore_result=True)
def purge_sent() -> int:
    """Delete sent messages past their retention."""
    return mail_purge_sent()
