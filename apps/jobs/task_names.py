"""The jobs app's Celery task names (published by name: callers import no task module)."""

RUN = "jobs.run"
SWEEP = "jobs.sweep"
PURGE_EXPIRED = "jobs.purge_expired"
