"""``manage.py rebuild_statistics``: rebuild the dashboards' summary tables from the reports."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from apps.dashboards.services import statistics_rebuild, statistics_reconcile


class Command(BaseCommand):
    help = "Rebuild every statistics summary table from the reports (then, with --check, compare them)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="Reconcile the summaries with the reports after.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        statistics_rebuild()
        self.stdout.write(f"Statistics rebuilt in {time.perf_counter() - started:.1f} s.")
        if options["check"]:
            outcome = statistics_reconcile()
            self.stdout.write(
                f"Reconciliation: {outcome.buckets_checked} bucket(s) checked, {outcome.buckets_differing} differ."
            )
