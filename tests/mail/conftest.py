"""Fixtures of the mail tests: the exchange tests' real Redis and Celery workers (with beat)."""

from tests.exchange.test_faults import broker, start_worker

__all__ = ["broker", "start_worker"]
