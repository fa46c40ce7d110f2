"""The names the exchange's Celery tasks are registered and published under, declared once.

:mod:`apps.exchange.tasks` registers them (``@shared_task(name=...)``), :mod:`apps.exchange.kicks`
publishes by them, and the settings route and schedule them (``apps.exchange.tasks.*`` goes to the
``exchange`` queue): the names are those Celery would derive from the module, written out.
"""

FAN_OUT_EVENT = "apps.exchange.tasks.fan_out_event"
DELIVER_ONE = "apps.exchange.tasks.deliver_one"
DELIVER_DUE = "apps.exchange.tasks.deliver_due"
SWEEP = "apps.exchange.tasks.sweep"
SCRUB_SUPERSEDED = "apps.exchange.tasks.scrub_superseded"
