"""``manage.py catalogues_update``: add every marked string to the French, Spanish and Russian catalogues."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.core.catalogues import catalogues_extract


class Command(BaseCommand):
    help = "Extract marked strings into locale/{fr,es,ru}/LC_MESSAGES/{django,djangojs}.po (needs GNU gettext)."

    def handle(self, *args: Any, **options: Any) -> None:
        catalogues_extract(verbosity=options["verbosity"])
