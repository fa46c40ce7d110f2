"""Real partners on loopback for the exchange tests, the benchmark and the demo partner.

:class:`WebhookPartner` is a threaded HTTP server that behaves as a Standard Webhooks receiver
would: it verifies the signature with ``standardwebhooks`` (401 if wrong), deduplicates by
``webhook-id`` and records what it accepted. It can be scripted to fail: answer 500 N times, sleep
past the sender's timeout, answer 410, or 429 with a Retry-After.

:class:`TaxiiServer` runs a real TAXII 2.1 server (``medallion``, memory backend) in a thread.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Step:
    """How the partner answers one request: status, extra headers, and a delay before answering."""

    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


@dataclass
class Received:
    """One request as the partner saw it."""

    webhook_id: str
    status: int
    at: float
    verified: bool
    body: dict[str, Any] | None


class WebhookHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as a production receiver would offer
    # Headers and body go out in two writes; without TCP_NODELAY the second waits for the sender's
    # delayed ACK (40 ms on Linux), which production servers avoid the same way.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_POST(self) -> None:
        partner = self.server.partner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        step = partner.next_step(arriving=True)
        if step.delay:
            time.sleep(step.delay)
        headers = {key.lower(): value for key, value in self.headers.items()}
        webhook_id = headers.get("webhook-id", "")
        try:
            document = Webhook(partner.secret).verify(body, headers)
            verified = True
        except (WebhookVerificationError, ValueError):
            document, verified = None, False
        status = step.status if verified else 401
        partner.record(webhook_id, status, verified, document)
        try:
            payload = (step.body or json.dumps({"status": status})).encode()
            self.send_response(status)
            for name, value in step.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender gave up waiting (a timeout test)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    partner: WebhookPartner


class WebhookPartner:
    """A webhook receiver on 127.0.0.1 with a scripted failure plan."""

    def __init__(self, secret: str = "", *, port: int = 0, handler: type[WebhookHandler] | None = None) -> None:
        self.secret = secret
        self._steps: deque[Step] = deque()
        self._lock = threading.Lock()
        self.requests: list[Received] = []
        self.receipts: dict[str, Received] = {}  # first accepted request per webhook-id
        self.accepted: Counter[str] = Counter()  # 2xx answers per webhook-id
        self.arrivals = 0  # requests that arrived, including those still being answered
        self._server = _Server(("127.0.0.1", port), handler or WebhookHandler)
        self._server.partner = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/rilo"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, *steps: Step) -> None:
        """Answer the next requests with these steps, then 200 again."""
        with self._lock:
            self._steps.extend(steps)

    def next_step(self, *, arriving: bool = False) -> Step:
        with self._lock:
            self.arrivals += int(arriving)
            return self._steps.popleft() if self._steps else Step()

    def record(self, webhook_id: str, status: int, verified: bool, document: dict[str, Any] | None) -> None:
        received = Received(webhook_id, status, time.time(), verified, document)
        with self._lock:
            self.requests.append(received)
            if 200 <= status < 300:
                self.accepted[webhook_id] += 1
                self.receipts.setdefault(webhook_id, received)

    def snapshot(self) -> tuple[list[Received], dict[str, Received]]:
        with self._lock:
            return list(self.requests), dict(self.receipts)


def wait_for(condition: Callable[[], Any], *, timeout: float, message: str, interval: float = 0.1) -> Any:
    """Poll ``condition`` until it returns something truthy, or fail with ``message`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (waited {timeout:.0f} s)")
        time.sleep(interval)


# --- TAXII --------------------------------------------------------------------------------------

TAXII_USER = "rilo"
TAXII_PASSWORD = "taxii-test-password"  # noqa: S105 - a loopback test server's password
TAXII_COLLECTION = "c6c1f5e0-3f4a-4b61-9a55-2a1f3f0d9b11"


def taxii_data(base_url: str) -> dict[str, Any]:
    """Medallion memory-backend data: one API root with one writable collection."""
    return {
        "/discovery": {
            "title": "Partner TAXII server",
            "description": "A TAXII 2.1 server on loopback",
            "default": f"{base_url}/api1/",
            "api_roots": [f"{base_url}/api1/"],
        },
        "api1": {
            "information": {
                "title": "Seizures",
                "description": "Partner API root",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 10 * 1024 * 1024,
            },
            "status": [],
            "collections": [
                {
                    "id": TAXII_COLLECTION,
                    "title": "RILO seizure reports",
                    "description": "Reports pushed by RILO",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }


class TaxiiServer:
    """A real medallion TAXII 2.1 server in a thread (werkzeug), memory backend.

    Medallion's Flask application is a module-level singleton: start one per process.
    """

    def __init__(self, backend_module: str = "medallion.backends.memory_backend", backend_class: str = "MemoryBackend"):
        import logging

        import medallion
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no log line per request
        self._directory = tempfile.TemporaryDirectory(prefix="rilo-taxii-")
        # Bind first to learn the port the data file must name.
        self._server = make_server("127.0.0.1", 0, medallion.application_instance, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        data_file = Path(self._directory.name) / "data.json"
        data_file.write_text(json.dumps(taxii_data(self.base_url)))
        config_file = Path(self._directory.name) / "config.json"
        config_file.write_text(
            json.dumps(
                {
                    "backend": {"module": backend_module, "module_class": backend_class, "filename": str(data_file)},
                    "users": {TAXII_USER: TAXII_PASSWORD},
                    "taxii": {"max_page_size": 1000},
                }
            )
        )
        medallion.load_app(str(config_file))
        self.app = medallion.application_instance
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def collection_url(self) -> str:
        return f"{self.base_url}/api1/collections/{TAXII_COLLECTION}/"

    def start(self) -> TaxiiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._directory.cleanup()

    def objects(self) -> list[dict[str, Any]]:
        """Every object the collection holds (read from the backend directly)."""
        backend = self.app.medallion_backend  # type: ignore[attr-defined]
        for collection in backend.data["api1"]["collections"]:
            if collection["id"] == TAXII_COLLECTION:
                return list(collection.get("objects", []))
        return []


def new_id() -> str:
    return str(uuid.uuid4())
