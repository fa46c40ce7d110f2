"""gunicorn's settings for RILO's web process: docker/entrypoint.sh and the benchmarks (bench/harness.py) start
gunicorn with this file; the README's "Web server" section says why each value.

- Threads (``gthread``): a page or an API call is short (a list page at 100,000 reports runs ~60 ms, a
  third of it waiting on PostgreSQL) and synchronous Django; threads let one process run Python while another
  request waits on the database or Redis, and a slow reader of a streamed CSV export holds one thread, not a
  process. No gevent: psycopg, Redis and Celery's client would have to be monkey-patched for nothing Django needs.
- Timeouts: nothing the web process does is expected to take more than a second or two; long work (bulk
  uploads, replays, fan-out) is a Celery job the page starts and then polls. Each SQL statement of a web
  process is cut at ``DJANGO_DB_STATEMENT_TIMEOUT`` (set here for web processes only: workers have their task
  time limits), so a runaway query answers an error instead of holding a thread. ``timeout`` is the
  arbiter's heartbeat: it restarts a worker process that has stopped answering it (with threads, a request
  still running is not such a worker). ``graceful_timeout`` lets the requests in flight, an export being
  streamed included, finish on a restart.
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5  # seconds an idle keep-alive connection from the proxy is kept
# Web processes only: every SQL statement is cut after this many milliseconds (rilo/settings/base.py).
os.environ.setdefault("DJANGO_DB_STATEMENT_TIMEOUT", "10000")
# Worker processes are replaced after this many requests (with jitter, not all at once): memory stays flat.
max_requests = 2000
max_requests_jitter = 200
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log (the benchmarks)
