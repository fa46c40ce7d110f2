"""Partner traffic: an answer is read only up to a bound, and a proxy nobody allowed carries nothing."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest
from django.test import override_settings

from apps.exchange.adapters.base import close_pools
from apps.exchange.choices import DeliveryState
from apps.exchange.models import Delivery
from apps.exchange.services import delivery_send_one, event_fan_out
from apps.tenancy.models import Administration
from tests.builders import (
    NON_PERSONAL_FIELDS,
    approve,
    build_report,
    partner_system,
    policy_version,
    webhook_partner,
)

pytestmark = pytest.mark.django_db
CHUNK = b"x" * 65536
MOST = 512 * 1024 * 1024  # the server stops on its own after this much, or after LONGEST seconds
LONGEST = 20.0


class _EndlessHandler(socketserver.BaseRequestHandler):
    server: _EndlessServer

    def handle(self) -> None:
        self.request.settimeout(5)
        received = b""
        while b"\r\n\r\n" not in received:
            data = self.request.recv(65536)
            if not data:
                return
            received += data
        self.server.requests += 1
        status = self.server.status
        self.request.sendall(
            f"HTTP/1.1 {status} Answer\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".encode()
        )
        started = time.monotonic()
        try:
            while self.server.written < MOST and time.monotonic() - started < LONGEST:
                self.request.sendall(CHUNK)
                self.server.written += len(CHUNK)
        except OSError:
            self.server.closed_early = True  # the client stopped reading and closed the connection


class _EndlessServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, status: int) -> None:
        super().__init__(("127.0.0.1", 0), _EndlessHandler)
        self.status = status
        self.requests = 0
        self.written = 0
        self.closed_early = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def endless() -> Iterator[_EndlessServer]:
    """A partner whose every answer is an endless body (it stops by itself after 512 MB or 20 s)."""
    server = _EndlessServer(200)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    close_pools()
    yield server
    server.shutdown()
    server.server_close()
    close_pools()


def sent_once(france: Administration) -> Delivery:
    event = approve(build_report(by=france, reference="FR-1"))
    event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.get(event=event)
    delivery_send_one(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_a_webhook_partner_s_endless_answer_is_read_only_up_to_the_bound(
    france: Administration, endless: _EndlessServer
) -> None:
    webhook_partner("CEN", endless.base_url + "/hooks")
    delivery = sent_once(france)
    assert delivery.state == DeliveryState.SUCCEEDED  # the status is what counts
    assert endless.requests == 1
    deadline = time.monotonic() + 10
    while not endless.closed_early and time.monotonic() < deadline:
        time.sleep(0.05)
    assert endless.closed_early and endless.written < 64 * 1024 * 1024  # far from what it would have sent


def test_a_refusal_with_an_endless_body_keeps_only_a_short_excerpt(
    france: Administration, endless: _EndlessServer
) -> None:
    endless.status = 400
    webhook_partner("CEN", endless.base_url + "/hooks")
    delivery = sent_once(france)
    assert delivery.state == DeliveryState.NEEDS_ATTENTION
    assert delivery.reason.startswith("partner refused the message: HTTP 400: xxxx") and len(delivery.reason) < 400


def test_a_taxii_server_s_endless_answer_needs_attention_and_is_not_read_whole(
    france: Administration, endless: _EndlessServer
) -> None:
    partner, _ = partner_system(
        name="CEN (TAXII)",
        adapter="taxii",
        endpoint_url=endless.base_url + "/api1/collections/c6c1f5e0-3f4a-4b61-9a55-2a1f3f0d9b11/",
        credentials={"username": "rilo", "password": "pw"},
        region=france.region,
    )
    policy_version(
        partner=partner,
        regions=["*"],
        administrations=["*"],
        commodity_categories=["*"],
        report_kinds=["*"],
        fields=list(NON_PERSONAL_FIELDS),
    )
    delivery = sent_once(france)
    assert delivery.state == DeliveryState.NEEDS_ATTENTION
    assert delivery.reason.endswith("exceeds 65536 bytes; the rest was not read")
    assert endless.written < 64 * 1024 * 1024


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A socket on loopback standing for a proxy: it counts whoever connects."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    yield sock
    sock.close()


def _connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except TimeoutError:
            return count
        conn.close()
        count += 1


def test_partner_traffic_through_a_proxy_is_refused_unless_allowed(
    france: Administration, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = f"http://127.0.0.1:{listener.getsockname()[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    close_pools()
    webhook_partner("CEN", "http://127.0.0.1:9/hooks")

    with override_settings(RILO_PARTNER_PROXY_ALLOWED=False):
        delivery = sent_once(france)
    close_pools()

    assert delivery.state == DeliveryState.NEEDS_ATTENTION
    assert delivery.reason == (
        f"a proxy (127.0.0.1:{listener.getsockname()[1]}) is set in the environment for partner traffic and "
        "RILO_PARTNER_PROXY_ALLOWED is off; nothing was sent"
    )
    assert _connections(listener) == 0
