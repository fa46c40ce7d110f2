"""The dashboards' settings are declared in rilo/settings/base.py from the environment, and read where they apply."""

from __future__ import annotations

from django.conf import settings
from django.test import override_settings

from apps.dashboards.filtersets import StatisticsFilters
from apps.dashboards.selectors import BaseSource, StatisticsScope
from rilo.settings import base


def test_the_statistics_settings_are_declared_with_their_defaults() -> None:
    assert base.RILO_STATISTICS_BASE_TIMEOUT_MS == 10_000
    assert base.RILO_STATISTICS_SWEEP_SECONDS == 30.0
    assert base.RILO_STATISTICS_RECONCILE_SECONDS == 24 * 60 * 60.0


def test_the_beat_schedule_follows_the_statistics_intervals() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["dashboards-recompute-dirty"]["schedule"] == settings.RILO_STATISTICS_SWEEP_SECONDS
    assert schedule["dashboards-reconcile"]["schedule"] == settings.RILO_STATISTICS_RECONCILE_SECONDS


def test_a_panel_over_the_base_tables_is_cut_short_after_the_configured_time() -> None:
    source = BaseSource(StatisticsFilters(), StatisticsScope(1, (), False, ()))
    with override_settings(RILO_STATISTICS_BASE_TIMEOUT_MS=1234):
        assert source.statement_timeout_ms() == 1234
    source.timeout_ms = 99  # a caller's own limit (the benchmark's baseline) wins
    assert source.statement_timeout_ms() == 99
