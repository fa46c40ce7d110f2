"""Low-latency nudges to the workers, sent after commit. Correctness never depends on them.

If the broker is unreachable the kick is dropped with a warning: the outbox row and the
deliveries are in the database, and the beat-scheduled sweeper picks them up once the broker
is back. Publishing does not retry, so an approval never waits on a dead broker.

Tasks are published by name (:mod:`apps.exchange.task_names`), so this module imports nothing of
:mod:`apps.exchange.tasks`, which imports the services that kick.
"""

from __future__ import annotations

from typing import Any

from apps.core.kicks import task_kick

from . import task_names


def _publish(task_name: str, *args: Any) -> None:
    task_kick(task_name, *args, fallback="the exchange sweeper will pick it up")


def fan_out(event_id: int) -> None:
    """Ask a worker to fan out one outbox event now."""
    _publish(task_names.FAN_OUT_EVENT, event_id)


def deliver(delivery_ids: list[int]) -> None:
    """Ask workers to send these deliveries now."""
    for delivery_id in delivery_ids:
        _publish(task_names.DELIVER_ONE, delivery_id)


def deliver_due(batches: int, batch: int) -> None:
    """Ask workers to claim and send due deliveries, ``batches`` tasks of up to ``batch`` each."""
    for _ in range(batches):
        _publish(task_names.DELIVER_DUE, batch)
