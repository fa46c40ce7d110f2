"""``manage.py seed_reports N``: add N synthetic reports and print how fast they were written."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.management.commands.seed_demo import refuse_unless_demo_seed_allowed
from demo.reports import seed_reports


class Command(BaseCommand):
    help = "Add N synthetic seizure reports across all administrations (demo and benchmark)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int, help="Number of reports to add.")
        parser.add_argument("--seed", type=int, default=0, help="Random seed (default 0).")
        parser.add_argument(
            "--workers", type=int, default=2, help="Parallel writers, each with its own connection (default 2)."
        )

    def handle(self, *args: Any, count: int, seed: int, workers: int, **options: Any) -> None:
        refuse_unless_demo_seed_allowed("seed_reports")
        if count < 1:
            raise CommandError("Give a positive number of reports.")
        try:
            made, seconds = seed_reports(count=count, rng_seed=seed, workers=workers)
        except ValueError as error:
            raise CommandError(str(error)) from error
        rate = made / seconds if seconds > 0 else float("inf")
        self.stdout.write(f"seeded {made} reports in {seconds:.2f} s ({rate:.0f} reports/s)")
