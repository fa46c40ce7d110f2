"""``make demo``: run the whole system on this machine.

Finds or starts PostgreSQL and Redis (DATABASE_URL/REDIS_URL, else embedded servers whose data
stays in .var/demo), migrates, seeds demo data, then runs the web server, a Celery worker,
Celery beat and the demo partner ("Demo CEN", a webhook receiver on loopback whose page lists the
messages RILO sent it; see demo.partner) until Ctrl-C, which stops everything it started. A
second run reuses the data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType

from apps.core.runtime import BASE_DIR, resolve_services
from demo import DEMO_PARTNER_PORT


def main() -> int:
    services = resolve_services(purpose="demo", prefer_local=False)
    env = {**os.environ, **services.environ(), "DJANGO_SETTINGS_MODULE": "rilo.settings.local"}
    env.setdefault("PYTHONUNBUFFERED", "1")
    python = sys.executable
    celery = os.path.join(os.path.dirname(python), "celery")
    port = os.environ.get("PORT", "8000")
    partner_port = os.environ.get("RILO_DEMO_PARTNER_PORT", str(DEMO_PARTNER_PORT))
    partner_url = f"http://127.0.0.1:{partner_port}/hooks/rilo"

    def manage(*args: str) -> None:
        subprocess.run([python, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)

    print(f"Using {services.describe()}", flush=True)
    manage("migrate", "--noinput", "-v", "0")
    hs_csv = os.environ.get("RILO_HS_CSV") or str(BASE_DIR.parent / "shared" / "data" / "hs2022.csv")
    if os.path.exists(hs_csv):
        manage("load_hs", hs_csv)  # the full HS 2022 nomenclature; idempotent and fast
    reports = os.environ.get("RILO_DEMO_REPORTS", "5000")
    manage("seed_demo", "--reports", reports, "--if-empty", "--partner-url", partner_url)

    commands = {
        "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}"],
        "worker": [celery, "-A", "rilo", "worker", "-l", "INFO", "-Q", "default,exchange,mail,uploads,jobs", "-c", "2"],
        "beat": [celery, "-A", "rilo", "beat", "-l", "INFO", "-s", str(BASE_DIR / ".var" / "demo" / "beat")],
        "partner": [python, "manage.py", "demo_partner", "--port", partner_port],
    }
    processes = {name: subprocess.Popen(argv, cwd=BASE_DIR, env=env) for name, argv in commands.items()}
    print(
        f"\nRILO is running on http://127.0.0.1:{port}/ (web, worker, beat). Ctrl-C stops everything.\n"
        f"The demo partner Demo CEN shows what it receives on http://127.0.0.1:{partner_port}/ :\n"
        "approve a report (as we.analyst) and watch it arrive there within seconds.\n",
        flush=True,
    )

    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"\n{name} exited with status {process.returncode}; stopping the rest.", flush=True)
                    exit_code = process.returncode or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        print("Stopped web, worker, beat and the demo partner.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
