"""The uploads app's Celery task names (published by name: callers import no task module)."""

CHECK = "uploads.check"
COMMIT = "uploads.commit"
SWEEP = "uploads.sweep"
PURGE_EXPIRED = "uploads.purge_expired"
