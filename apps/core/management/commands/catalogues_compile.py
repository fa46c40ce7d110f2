"""``manage.py catalogues_compile``: build the ``.mo`` files from the committed ``.po`` catalogues."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.core.catalogues import catalogues_compile


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo files (pure Python: no gettext needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        written = catalogues_compile()
        self.stdout.write(f"Compiled {len(written)} catalogues.")
