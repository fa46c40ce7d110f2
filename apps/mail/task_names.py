"""The names the mail outbox's Celery tasks are registered and published under, declared once.

:mod:`apps.mail.tasks` registers them (``@shared_task(name=...)``), :mod:`apps.mail.services` publishes
the kick by name (importing nothing of the tasks), and the settings schedule the sweep and the purge.
"""

DELIVER = "mail.deliver"
SWEEP = "mail.sweep"
PURGE_SENT = "mail.purge_sent"
