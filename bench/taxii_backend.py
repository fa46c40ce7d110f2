"""A medallion memory backend for the benchmark: indexed, and recording when each report arrived.

Medallion's stock memory backend scans every stored object on each request, so pushing 10,000
bundles would measure that scan rather than our exchange. This one keeps the same answers
(a version already present is a failure, as in the stock backend) with dictionaries.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from medallion.backends.memory_backend import MemoryBackend
from medallion.common import (
    create_resource,
    datetime_to_string,
    determine_version,
    generate_status,
    generate_status_details,
)


class BenchMemoryBackend(MemoryBackend):
    """Indexed objects (id → versions), statuses by id, and the first arrival time of each report."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.versions: dict[str, set[str]] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.report_adds: Counter[tuple[str, str]] = Counter()  # pushes of each report object version
        self.arrivals: dict[str, float] = {}  # "<report uuid>:<version>" -> first arrival
        self._lock = threading.Lock()

    def _get(self, key: str) -> Any:
        return self.data[key] if key in self.data else super()._get(key)

    def add_objects(self, api_root: str, collection_id: str, objs: dict[str, Any], request_time: Any) -> dict[str, Any]:
        now = time.time()
        successes, failures = [], []
        with self._lock:
            for obj in objs["objects"]:
                version = determine_version(obj, request_time)
                key = (obj["id"], version)
                if obj.get("type") == "report":
                    self.report_adds[key] += 1
                held = self.versions.setdefault(obj["id"], set())
                if version in held:
                    failures.append(generate_status_details(obj["id"], version, message="already present"))
                    continue
                held.add(version)
                successes.append(generate_status_details(obj["id"], version))
                if obj.get("type") == "report" and "x_rilo_report_uuid" in obj:
                    self.arrivals.setdefault(f"{obj['x_rilo_report_uuid']}:{obj['x_rilo_version']}", now)
            status = generate_status(
                datetime_to_string(request_time),
                "complete",
                len(successes),
                len(failures),
                0,
                successes=successes,
                failures=failures,
            )
            self.statuses[status["id"]] = status
        return status

    def get_status(self, api_root: str, status_id: str) -> dict[str, Any] | None:
        return self.statuses.get(status_id)

    def get_object_versions(
        self, api_root: str, collection_id: str, object_id: str, filter_args: Any, allowed_filters: Any, limit: Any
    ) -> tuple[dict[str, Any], dict[str, str]]:
        with self._lock:
            versions = sorted(self.versions.get(object_id, set()))
        return create_resource("versions", versions), {}
