"""Real processes for the fault tests: a dedicated redis-server and Celery workers (with embedded beat)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A throw-away redis-server on a free loopback port, which a test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        client = redis.Redis.from_url(self.url)
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None


class CeleryWorker:
    """``celery -A rilo worker -Q exchange,default,mail,jobs,uploads -B`` as a subprocess in its own process group."""

    def __init__(self, *, database_url: str, broker_url: str, extra_env: dict[str, str]) -> None:
        self.name = f"exchange-test-{uuid.uuid4().hex[:8]}"
        self._directory = tempfile.TemporaryDirectory(prefix="rilo-worker-")
        self.log_path = Path(self._directory.name) / "worker.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RILO_", "CELERY_"))},
            "DJANGO_SETTINGS_MODULE": "rilo.settings.test",
            "DATABASE_URL": database_url,
            "REDIS_URL": broker_url,
            "DJANGO_CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self, *, timeout: float = 30) -> CeleryWorker:
        argv = [
            CELERY,
            "-A",
            "rilo",
            "worker",
            "-Q",
            "exchange,default,mail,jobs,uploads",
            "-n",
            f"{self.name}@%h",
            "--pool",
            "threads",
            "--concurrency",
            "4",
            "-B",
            "--scheduler",
            "celery.beat:PersistentScheduler",
            "--schedule",
            str(Path(self._directory.name) / "beat-schedule"),
            "--without-gossip",
            "--without-mingle",
            "-l",
            "INFO",
        ]
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            argv, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while "ready." not in self.log():
            if self._process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited with {self._process.returncode}:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Celery worker was not ready within {timeout} s:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker's whole process group: no chance to finish or acknowledge anything."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        self._directory.cleanup()
