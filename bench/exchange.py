"""Exchange benchmark: approvals fanned out to three partners on loopback by two Celery worker processes.

``python -m bench.exchange`` (or ``make bench BENCH=exchange``) against ``DATABASE_URL`` and
``REDIS_URL``: it creates and migrates its own database (``rilo_bench_exchange`` on the same
server), starts two webhook receivers and a medallion TAXII 2.1 server (each in its own process),
two ``celery worker`` processes (the first with embedded beat), approves reports through
``report_approve`` at a steady rate (each report has an author, e-mailed on approval through
the dummy backend, as in production), and measures for every (report, partner) the time from the
approval (its ``approved_at``, a few milliseconds before the commit) to the receipt at the
partner. ``exactly_once`` is checked at the receivers: every report arrived at every partner, and
none arrived (or was pushed) twice.

Environment: ``BENCH_EXCHANGE_N`` approvals (10000), ``BENCH_EXCHANGE_RATE`` approvals per second
offered (80), ``BENCH_EXCHANGE_DRIVERS`` reviewers approving at once (4),
``BENCH_EXCHANGE_CONCURRENCY`` threads per worker process (6). Progress and the CPU spent per
approval and per delivery go to stderr.
Prints one JSON line: {"bench": "exchange", "deliveries_per_s", "p50_s", "p95_s", "p99_s", "exactly_once", …}.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.harness import benchmark

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DATABASE = os.environ.get("BENCH_EXCHANGE_DATABASE", "rilo_bench_exchange")  # one per checkout on a shared server
WORKERS = 2


def log(message: str) -> None:
    print(f"[bench.exchange] {message}", file=sys.stderr, flush=True)


# --- partner processes (spawned: no Django in them) ----------------------------------------------


def _webhook_partner(conn: Connection) -> None:
    from bench.partners import WebhookPartner

    partner = WebhookPartner().start()
    conn.send(partner.url)
    while True:
        command, argument = conn.recv()
        if command == "secret":
            partner.secret = argument
            conn.send(True)
        elif command == "count":
            conn.send(len(partner.receipts))
        elif command == "report":
            requests, receipts = partner.snapshot()
            conn.send(
                {
                    "receipts": {
                        webhook_id: [received.body["data"]["report_uuid"] if received.body else "", received.at]
                        for webhook_id, received in receipts.items()
                    },
                    "accepted": dict(partner.accepted),
                    "rejected": sum(1 for r in requests if not 200 <= r.status < 300),
                }
            )
        elif command == "stop":
            partner.stop()
            conn.send(True)
            return


def _taxii_partner(conn: Connection) -> None:
    from bench.partners import TaxiiServer

    server = TaxiiServer(backend_module="bench.taxii_backend", backend_class="BenchMemoryBackend").start()
    backend: Any = server.app.medallion_backend  # type: ignore[attr-defined]
    conn.send(server.collection_url)
    while True:
        command, _ = conn.recv()
        if command == "count":
            conn.send(len(backend.arrivals))
        elif command == "report":
            with backend._lock:
                conn.send(
                    {"arrivals": dict(backend.arrivals), "max_adds": max(backend.report_adds.values(), default=0)}
                )
        elif command == "stop":
            server.stop()
            conn.send(True)
            return


class PartnerProcess:
    """A partner server in a child process, driven through a pipe."""

    def __init__(self, target: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=target, args=(child,), daemon=True)
        self.process.start()
        self.url: str = self.conn.recv()

    def ask(self, command: str, argument: Any = None) -> Any:
        self.conn.send((command, argument))
        return self.conn.recv()

    def stop(self) -> None:
        try:
            self.ask("stop")
        finally:
            self.process.join(timeout=10)


# --- database and processes --------------------------------------------------------------------


def bench_database_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + BENCH_DATABASE, parts.query, parts.fragment))


def recreate_database(url: str) -> None:
    import psycopg

    from rilo.settings.base import database_config

    config: dict[str, Any] = database_config(url)
    params: dict[str, Any] = {k: v for k, v in dict(config.get("OPTIONS") or {}).items() if isinstance(v, str)}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password")):
        if config.get(key):
            params[name] = str(config[key])
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')


def start_workers(env: dict[str, str], directory: Path, concurrency: int) -> list[subprocess.Popen[bytes]]:
    celery = str(Path(sys.executable).with_name("celery"))
    workers = []
    for number in range(WORKERS):
        argv = [
            celery,
            "-A",
            "rilo",
            "worker",
            "-Q",
            "exchange,default",
            "-n",
            f"bench{number}@%h",
            "--pool",
            "threads",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ]
        if number == 0:
            argv += ["-B", "--scheduler", "celery.beat:PersistentScheduler", "--schedule", str(directory / "beat")]
        log_file = (directory / f"worker{number}.log").open("ab")
        workers.append(
            subprocess.Popen(
                argv, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        )
    return workers


def wait_until_ready(env: dict[str, str], timeout: float = 60) -> None:
    from rilo.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= WORKERS:
            return
    raise RuntimeError("the Celery workers did not answer a ping in time")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on this machine that can be read (Linux /proc), for the log."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                total += cpu_seconds(int(entry.name))
        except (OSError, ValueError):
            continue
    return total


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    import signal

    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# --- the benchmark -----------------------------------------------------------------------------


# Personal fields (part, name) the benchmark's national system may receive besides the non-personal ones.
NATIONAL_PERSONAL_FIELDS = (("report", "modus_operandi"), ("conveyance", "identifier"))


def _non_personal_fields() -> list[str]:
    """Every field path a policy without personal data may name as it is: what a CEN policy shares."""
    from apps.exchange.snapshot import field_catalogue

    return [path for path, info in field_catalogue().items() if not info.personal]


def _vocabulary() -> dict[str, Any]:
    """The three vocabulary terms the benchmark's reports use (get-or-create)."""
    from apps.reference.models import CommodityCategory, CommodityType, EnforcementArea, Unit

    revenue, _ = EnforcementArea.objects.get_or_create(code="revenue", defaults={"label": "Revenue"})
    tobacco, _ = CommodityCategory.objects.get_or_create(
        code="tobacco", defaults={"label": "Tobacco", "enforcement_area": revenue}
    )
    cigarettes, _ = CommodityType.objects.get_or_create(
        code="cigarettes", defaults={"label": "Cigarettes", "category": tobacco}
    )
    sticks, _ = Unit.objects.get_or_create(
        code="STK", defaults={"label": "Stick", "dimension": Unit.Dimension.STICKS, "factor": Decimal(1)}
    )
    return {"tobacco": tobacco, "cigarettes": cigarettes, "STK": sticks}


def run_approvals(reports: list[Any], analyst: Any, rate: float, drivers: int) -> None:
    """Approve every report through ``report_approve`` on a fixed schedule (``rate`` per second).

    Several reviewers approve at once (``drivers`` threads), each approval in its own transaction,
    as a request to the approve page or the API makes it.
    """
    import threading

    from django.db import connection

    from apps.reports.services import report_approve

    lock = threading.Lock()
    position = iter(range(len(reports)))
    started = time.monotonic()

    def approve_all() -> None:
        try:
            while True:
                with lock:
                    number = next(position, None)
                if number is None:
                    return
                pause = started + number / rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                # Synthetic free text, checked as an analyst would: CEN receives descriptions as before.
                report_approve(report=reports[number], actor=analyst, free_text_checked=True)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve_all, daemon=True) for _ in range(drivers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure() -> dict[str, Any]:
    """Run the benchmark and return its figures (without printing them).

    Called from a process where Django is already set up (the :mod:`bench.harness`, on its own
    database and settings), it runs in a fresh interpreter instead, since it needs its own.
    """
    from django.conf import settings

    if settings.configured:
        completed = subprocess.run(
            [sys.executable, "-m", "bench.exchange"], cwd=BASE_DIR, stdout=subprocess.PIPE, text=True, check=True
        )
        return dict(json.loads(completed.stdout.strip().splitlines()[-1]))
    return _run()


@benchmark("exchange")
def exchange() -> dict[str, Any]:
    """10,000 approvals fanned out to two webhook receivers and a TAXII server, 2 worker processes."""
    return {key: value for key, value in measure().items() if key != "bench"}


def main() -> dict[str, Any]:
    """``python -m bench.exchange``: run, print ONE JSON line, return the figures."""
    result = measure()
    print(json.dumps(result), flush=True)
    return result


def _run() -> dict[str, Any]:
    n = int(os.environ.get("BENCH_EXCHANGE_N", "10000"))
    rate = float(os.environ.get("BENCH_EXCHANGE_RATE", "80"))
    concurrency = int(os.environ.get("BENCH_EXCHANGE_CONCURRENCY", "6"))
    drivers = int(os.environ.get("BENCH_EXCHANGE_DRIVERS", "4"))
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rilo_demo")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    database_url = bench_database_url(base_url)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rilo.settings.local",
        "DJANGO_DEBUG": "0",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RILO_EXCHANGE_SWEEP_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)

    log(f"recreating database {BENCH_DATABASE}")
    recreate_database(base_url)
    import django

    django.setup()
    import io

    import redis
    from django.core.management import call_command

    call_command("migrate", verbosity=0, stdout=io.StringIO())
    redis.Redis.from_url(redis_url).delete("exchange", "default", "mail", "unacked", "unacked_index")

    from apps.accounts.roles import Role
    from apps.accounts.services import user_create
    from apps.exchange.services import partner_create, partner_policy_create
    from apps.reports import catalogue
    from apps.reports.choices import ReportStatus
    from apps.reports.models import Report, ReportItem, RouteCountry
    from apps.tenancy.models import Administration, Region

    log("starting partners")
    partners = {
        "webhook-cen": PartnerProcess(_webhook_partner),
        "webhook-national": PartnerProcess(_webhook_partner),
        "taxii": PartnerProcess(_taxii_partner),
    }
    region = Region.objects.create(code="rilo-we", name="RILO Western Europe")
    france = Administration.objects.create(region=region, country="FR", name="French Customs", code="fr")
    analyst = user_create(actor=None, username="erin", role=Role.RILO_ANALYST, region=region, email="erin@example.org")
    # The reports' author: each approval e-mails them (through the dummy backend), as in production.
    officer = user_create(
        actor=None, username="alice", role=Role.OFFICER, administration=france, email="alice@example.org"
    )
    administrator = user_create(
        actor=None, username="grace", role=Role.RILO_ADMINISTRATOR, region=region, email="grace@example.org"
    )
    everything: dict[str, Any] = {
        "regions": ["*"],
        "administrations": ["*"],
        "commodity_categories": ["*"],
        "report_kinds": ["*"],
    }
    cen, secret = partner_create(
        name="CEN",
        adapter="webhook",
        endpoint_url=partners["webhook-cen"].url,
        max_in_flight=8,
        actor=administrator,
    )
    partners["webhook-cen"].ask("secret", secret)
    spec = {**everything, "fields": _non_personal_fields()}
    partner_policy_create(actor=administrator, partner=cen, spec=spec, base_version=None)
    national, secret = partner_create(
        name="National system",
        adapter="webhook",
        endpoint_url=partners["webhook-national"].url,
        personal_data_allowed=True,
        max_in_flight=8,
        actor=administrator,
    )
    partners["webhook-national"].ask("secret", secret)
    # The national system also receives two personal fields, named as the catalogue does.
    personal = [*_non_personal_fields(), *(catalogue.field(*name).path for name in NATIONAL_PERSONAL_FIELDS)]
    spec = {**everything, "personal_data": True, "fields": personal}
    partner_policy_create(actor=administrator, partner=national, spec=spec, base_version=None)
    taxii, _ = partner_create(
        name="CEN TAXII",
        adapter="taxii",
        endpoint_url=partners["taxii"].url,
        credentials={"username": "rilo", "password": "taxii-test-password"},
        max_in_flight=8,
        actor=administrator,
    )
    spec = {**everything, "fields": _non_personal_fields()}
    partner_policy_create(actor=administrator, partner=taxii, spec=spec, base_version=None)

    log(f"creating {n} submitted reports")
    terms = _vocabulary()
    reports = Report.objects.bulk_create(
        [
            Report(
                administration=france,
                form_variant="simplified",
                national_reference=f"BENCH-{number:06d}",
                status=ReportStatus.SUBMITTED,
                seizure_date=dt.date(2025, 3, 14),
                country_of_seizure="FR",
                place="Le Havre",
                modus_operandi="Cigarettes under a load of furniture",
                created_by=officer,
                submitted_by=officer,
            )
            for number in range(n)
        ],
        batch_size=1000,
    )
    ReportItem.objects.bulk_create(
        [
            ReportItem(
                report=report,
                commodity_category=terms["tobacco"],
                commodity_type=terms["cigarettes"],
                quantity=Decimal(200000),
                unit=terms["STK"],
                normalised_quantity=Decimal(200000),
                normalised_dimension="sticks",
                description="Cigarettes in master cases",
            )
            for report in reports
        ],
        batch_size=1000,
    )
    RouteCountry.objects.bulk_create(
        [RouteCountry(report=report, sequence=1, role="origin", country="AE") for report in reports], batch_size=1000
    )

    directory = Path(tempfile.mkdtemp(prefix="rilo-bench-exchange-"))
    log(f"starting {WORKERS} worker processes ({concurrency} threads each); logs in {directory}")
    workers = start_workers(env, directory, concurrency)
    try:
        wait_until_ready(env)
        log(f"approving {n} reports at {rate:g} per second from {drivers} threads")
        started = time.monotonic()
        partner_cpu = {name: cpu_seconds(p.process.pid or 0) for name, p in partners.items()}
        worker_cpu = sum(cpu_seconds(worker.pid) for worker in workers)  # from here on: not their start-up
        database_cpu = postgres_cpu_seconds()
        driver_cpu = time.process_time()
        run_approvals(reports, analyst, rate, drivers)
        driver_cpu = time.process_time() - driver_cpu
        approving = time.monotonic() - started
        # Latency runs from the approval's approved_at, set in its transaction a few milliseconds
        # before the commit: never shorter than from the commit itself.
        committed = {
            str(uuid): at.timestamp()
            for uuid, at in Report.objects.filter(status=ReportStatus.APPROVED).values_list("uuid", "approved_at")
        }
        log(f"approved {n} in {approving:.1f} s ({n / approving:.1f}/s); waiting for the partners")

        expected = len(partners) * n
        deadline = time.monotonic() + max(120.0, approving)
        while time.monotonic() < deadline:
            received = sum(int(p.ask("count")) for p in partners.values())
            if received >= expected:
                break
            time.sleep(0.5)

        worker_cpu = sum(cpu_seconds(worker.pid) for worker in workers) - worker_cpu
        database_cpu = postgres_cpu_seconds() - database_cpu
        partner_cpu = {name: cpu_seconds(p.process.pid or 0) - partner_cpu[name] for name, p in partners.items()}
        log(
            f"CPU: {1000 * driver_cpu / n:.1f} ms per approval (driver), "
            f"{1000 * worker_cpu / (len(partners) * n):.1f} ms per delivery (workers, fan-out included), "
            f"{1000 * database_cpu / n:.1f} ms per report (PostgreSQL), per message at the partners: "
            + ", ".join(f"{name} {1000 * seconds / n:.1f} ms" for name, seconds in partner_cpu.items())
        )
        latencies: list[float] = []
        receipt_times: list[float] = []
        exactly_once = True
        for name, partner in partners.items():
            summary = partner.ask("report")
            if name == "taxii":
                arrivals = {key.split(":")[0]: at for key, at in summary["arrivals"].items()}
                exactly_once &= summary["max_adds"] <= 1
            else:
                arrivals = dict(summary["receipts"].values())
                exactly_once &= all(count == 1 for count in summary["accepted"].values())
                exactly_once &= len(summary["receipts"]) == n
            exactly_once &= set(arrivals) == set(committed)
            for uuid, at in arrivals.items():
                if uuid in committed:
                    latencies.append(at - committed[uuid])
                    receipt_times.append(at)
        span = max(receipt_times) - min(committed.values()) if receipt_times else float("nan")
        result: dict[str, Any] = {
            "bench": "exchange",
            "deliveries_per_s": round(len(latencies) / span, 1) if receipt_times else 0.0,
            "p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
            "p99_s": round(percentile(latencies, 0.99), 3) if latencies else None,
            "exactly_once": bool(exactly_once),
            "approvals": n,
            "deliveries": len(latencies),
            "approvals_per_s": round(n / approving, 1),
            "partners": len(partners),
            "worker_processes": WORKERS,
        }
    finally:
        stop(workers)
        for partner in partners.values():
            partner.stop()
    return result


if __name__ == "__main__":
    main()
