"""``manage.py load_hs PATH [--sections PATH]``: load the full HS nomenclature from a CSV file."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.reference.services import HSFileError, hs_load


class Command(BaseCommand):
    help = (
        "Load the Harmonized System nomenclature from a CSV file with the columns "
        "section,hscode,description,parent,level (e.g. ../shared/data/hs2022.csv). The whole file is "
        "checked first: a malformed file is refused, naming the lines, and nothing is written. "
        "Loading the same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV file of HS codes.")
        parser.add_argument(
            "--sections", metavar="PATH", help="CSV file of HS sections (section,name); rows must use its sections."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = hs_load(rows_file=options["path"], sections_file=options["sections"])
        except OSError as exc:
            raise CommandError(f"Cannot read {exc.filename}: {exc.strerror}.") from exc
        except HSFileError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Loaded {options['path']}: {summary}."))
