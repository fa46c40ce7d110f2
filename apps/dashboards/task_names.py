"""The names the dashboards' Celery tasks are registered and published under, declared once (as the exchange's)."""

RECOMPUTE_DIRTY = "dashboards.recompute_dirty"
RECONCILE = "dashboards.reconcile"
