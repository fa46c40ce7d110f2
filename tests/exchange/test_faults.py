"""Faults, end to end: real Celery worker processes (with beat) on a real Redis, real partners on loopback.

Each test starts ``celery -A rilo worker -Q exchange,default,mail -B`` as a subprocess against the test
database, approves reports in this process, and waits — with a deadline and a clear message —
for what a partner would see. Retry schedules, timeouts and leases are shortened through the
worker's environment (the same settings production reads).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection, transaction

from apps.exchange.choices import DeliveryState, PartnerState
from apps.exchange.models import Delivery, OutboxEvent, PartnerSystem
from apps.exchange.services import delivery_replay
from apps.reports.models import Report
from apps.tenancy.models import Administration
from bench.partners import Step, TaxiiServer, WebhookPartner, wait_for
from rilo.celery import app as celery_app
from tests.builders import approve, build_report, region_administrator, webhook_partner

from .processes import CeleryWorker, RedisServer
from .test_taxii import taxii_partner

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FAST = {
    "RILO_EXCHANGE_CONNECT_TIMEOUT": "1",
    "RILO_EXCHANGE_READ_TIMEOUT": "1",
    "RILO_EXCHANGE_LEASE_SECONDS": "3",
    "RILO_EXCHANGE_RETRY_BASE_SECONDS": "0.3",
    "RILO_EXCHANGE_RETRY_FACTOR": "2",
    "RILO_EXCHANGE_RETRY_MAX_SECONDS": "1.5",
    "RILO_EXCHANGE_RETRY_JITTER": "0.1",
    "RILO_EXCHANGE_MAX_ATTEMPTS": "8",
    "RILO_EXCHANGE_SWEEP_SECONDS": "0.5",
    "RILO_EXCHANGE_KICK_GRACE_SECONDS": "0.5",
    "RILO_BROKER_CONNECT_TIMEOUT": "1",
}
WAIT = 30.0  # seconds any single expectation may take before the test fails


def _use_broker(url: str) -> None:
    """Point this process's Celery producer at ``url`` (the pools are bound to the old URL otherwise)."""
    app: Any = celery_app
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(scope="module")
def broker() -> Iterator[RedisServer]:
    """A dedicated redis-server, so a test can stop it; this process publishes to it too."""
    server = RedisServer().start()
    previous = str(celery_app.conf.broker_url)
    _use_broker(server.url)
    yield server
    _use_broker(previous)
    server.stop()


def database_url_of_tests() -> str:
    settings = connection.settings_dict
    auth = quote(settings["USER"] or "")
    if settings["PASSWORD"]:
        auth += ":" + quote(settings["PASSWORD"])
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or "5432"
    if host.startswith("/"):
        return f"postgres://{auth}@/{settings['NAME']}?host={host}&port={port}"
    return f"postgres://{auth}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def start_worker(transactional_db: None, broker: RedisServer) -> Iterator[Callable[..., CeleryWorker]]:
    """Start Celery workers on the test database; all are stopped before the database is flushed."""
    workers: list[CeleryWorker] = []

    def start(**overrides: str) -> CeleryWorker:
        worker = CeleryWorker(
            database_url=database_url_of_tests(), broker_url=broker.url, extra_env={**FAST, **overrides}
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()
        if os.environ.get("RILO_SHOW_WORKER_LOGS"):
            print(f"--- {worker.name} ---\n{worker.log()}")
        worker.close()


def delivery_of(report: Report, partner: PartnerSystem) -> Delivery | None:
    return Delivery.objects.filter(report_uuid=report.uuid, partner=partner).order_by("event_id").last()


def wait_for_state(report: Report, partner: PartnerSystem, state: str, worker: CeleryWorker) -> Delivery:
    def reached() -> Delivery | None:
        delivery = delivery_of(report, partner)
        return delivery if delivery is not None and delivery.state == state else None

    try:
        return wait_for(reached, timeout=WAIT, message=f"the delivery to {partner} did not become {state}")
    except AssertionError as error:
        delivery = delivery_of(report, partner)
        found = f"{delivery.state}: {delivery.reason}" if delivery else "no delivery"
        raise AssertionError(f"{error}; it is {found}\n--- worker log ---\n{worker.log()[-4000:]}") from None


def attempts(delivery: Delivery) -> list[tuple[str, int | None]]:
    return list(delivery.attempt_log.order_by("number", "pk").values_list("outcome", "status_code"))


def test_a_partner_failing_with_500_then_recovering_receives_the_report_exactly_once(
    france: Administration, receiver: WebhookPartner, start_worker: Callable[..., CeleryWorker]
) -> None:
    worker = start_worker()
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    receiver.script(Step(status=500), Step(status=500))
    report = build_report(by=france, reference="FR-1")
    event = approve(report)

    delivery = wait_for_state(report, partner, DeliveryState.SUCCEEDED, worker)
    assert attempts(delivery) == [("retry", 500), ("retry", 500), ("succeeded", 200)]
    assert [r.status for r in receiver.requests] == [500, 500, 200]
    assert dict(receiver.accepted) == {str(event.uuid): 1}
    assert {r.webhook_id for r in receiver.requests} == {str(event.uuid)}  # one id across retries


def test_a_partner_that_times_out_is_retried(
    france: Administration, receiver: WebhookPartner, start_worker: Callable[..., CeleryWorker]
) -> None:
    worker = start_worker()
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    receiver.script(Step(status=200, delay=2.5))
    report = build_report(by=france, reference="FR-1")
    event = approve(report)

    delivery = wait_for_state(report, partner, DeliveryState.SUCCEEDED, worker)
    [(first_outcome, first_status), *rest] = attempts(delivery)
    assert (first_outcome, first_status) == ("retry", None)
    assert delivery.attempt_log.order_by("number").first().error.startswith("timed out")  # type: ignore[union-attr]
    assert rest[-1] == ("succeeded", 200)
    assert list(receiver.receipts) == [str(event.uuid)]  # deduplicated by webhook-id


def test_a_worker_killed_during_a_delivery_is_replaced_after_its_lease_expires(
    france: Administration, receiver: WebhookPartner, start_worker: Callable[..., CeleryWorker]
) -> None:
    slow = {"RILO_EXCHANGE_READ_TIMEOUT": "8", "RILO_EXCHANGE_LEASE_SECONDS": "10"}
    doomed = start_worker(**slow)
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    receiver.script(Step(status=200, delay=5))
    report = build_report(by=france, reference="FR-1")
    event = approve(report)
    wait_for(
        lambda: receiver.arrivals >= 1, timeout=WAIT, message="the partner never saw the first request", interval=0.01
    )
    doomed.kill()
    in_flight = delivery_of(report, partner)
    assert in_flight is not None and in_flight.state == DeliveryState.IN_FLIGHT

    survivor = start_worker(**slow)
    delivery = wait_for_state(report, partner, DeliveryState.SUCCEEDED, survivor)
    assert attempts(delivery) == [("lease_expired", None), ("succeeded", 200)]
    assert list(receiver.receipts) == [str(event.uuid)]
    assert receiver.arrivals == 2


def test_an_approval_while_redis_is_down_is_delivered_once_the_broker_is_back(
    france: Administration,
    receiver: WebhookPartner,
    broker: RedisServer,
    start_worker: Callable[..., CeleryWorker],
) -> None:
    worker = start_worker()
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    broker.stop()
    try:
        report = build_report(by=france, reference="FR-1")
        event = approve(report)  # commits; the kick to the dead broker is dropped with a warning
        assert Report.objects.get(pk=report.pk).status == "approved"
        assert OutboxEvent.objects.get(pk=event.pk).fanned_out_at is None
    finally:
        broker.start()

    wait_for_state(report, partner, DeliveryState.SUCCEEDED, worker)
    assert dict(receiver.accepted) == {str(event.uuid): 1}


def test_a_410_disables_the_partner(
    france: Administration, receiver: WebhookPartner, start_worker: Callable[..., CeleryWorker]
) -> None:
    worker = start_worker()
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    receiver.script(Step(status=410))
    report = build_report(by=france, reference="FR-1")
    approve(report)

    delivery = wait_for_state(report, partner, DeliveryState.PARTNER_DISABLED, worker)
    assert attempts(delivery) == [("gone", 410)]
    partner.refresh_from_db()
    assert partner.state == PartnerState.DISABLED
    later = build_report(by=france, reference="FR-2")
    approve(later)
    wait_for_state(later, partner, DeliveryState.PARTNER_DISABLED, worker)
    assert len(receiver.requests) == 1


def test_a_429_is_retried_no_sooner_than_retry_after(
    france: Administration, receiver: WebhookPartner, start_worker: Callable[..., CeleryWorker]
) -> None:
    worker = start_worker()
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    receiver.script(Step(status=429, headers={"Retry-After": "2"}))
    report = build_report(by=france, reference="FR-1")
    approve(report)

    delivery = wait_for_state(report, partner, DeliveryState.SUCCEEDED, worker)
    assert attempts(delivery) == [("retry", 429), ("succeeded", 200)]
    first, second = receiver.requests
    assert second.at - first.at >= 2.0


def test_a_rolled_back_approval_delivers_nothing(
    france: Administration, receiver: WebhookPartner, start_worker: Callable[..., CeleryWorker]
) -> None:
    worker = start_worker()
    partner, receiver.secret, _ = webhook_partner("CEN", receiver.url)
    doomed = build_report(by=france, reference="FR-rolled-back")
    with pytest.raises(RuntimeError, match="rolled back"), transaction.atomic():
        approve(doomed)
        raise RuntimeError("approval rolled back")
    assert not OutboxEvent.objects.exists()

    witness = build_report(by=france, reference="FR-witness")
    event = approve(witness)
    wait_for_state(witness, partner, DeliveryState.SUCCEEDED, worker)
    assert dict(receiver.accepted) == {str(event.uuid): 1}
    assert not Delivery.objects.filter(report_uuid=doomed.uuid).exists()


def test_a_stix_bundle_lands_in_a_taxii_collection_and_a_repush_counts_as_delivered(
    france: Administration, taxii_server: TaxiiServer, start_worker: Callable[..., CeleryWorker]
) -> None:
    worker = start_worker()
    partner = taxii_partner(taxii_server)
    report = build_report(by=france, reference="FR-1")
    approve(report)

    delivery = wait_for_state(report, partner, DeliveryState.SUCCEEDED, worker)
    landed = [o for o in taxii_server.objects() if o.get("x_rilo_report_uuid") == str(report.uuid)]
    assert [o["type"] for o in landed] == ["report"]
    assert landed[0]["x_rilo_report"]["report_uuid"] == str(report.uuid)

    delivery_replay(actor=region_administrator(), delivery=delivery)
    delivery = wait_for_state(report, partner, DeliveryState.DUPLICATE, worker)
    assert attempts(delivery) == [("succeeded", 202), ("duplicate", 202)]
