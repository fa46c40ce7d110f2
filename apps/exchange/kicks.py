"""Low-latency nudges to the workers, sent after commit. Correctness never depends on them.

If the broker is unreachable the kick is dropped with a warning: the outbox row and the
deliveries are in the database, and the beat-scheduled sweeper picks them up once the broker
is back. Publishing does not retry, so an approval never waits on a dead broker.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def _publish(task_name: str, *args: Any) -> None:
    from . import tasks

    task = getattr(tasks, task_name)
    try:
        task.apply_async(args=args, retry=False)
    except Exception as error:
        log.warning("Could not queue %s%r (%s); the exchange sweeper will pick it up.", task_name, args, error)


def fan_out(event_id: int) -> None:
    """Ask a worker to fan out one outbox event now."""
    _publish("fan_out_event", event_id)


def deliver(delivery_ids: list[int]) -> None:
    """Ask workers to send these deliveries now."""
    for delivery_id in delivery_ids:
        _publish("deliver_one", delivery_id)


def deliver_due(batches: int, batch: int) -> None:
    """Ask workers to claim and send due deliveries, ``batches`` tasks of up to ``batch`` each."""
    for _ in range(batches):
        _publish("deliver_due", batch)
