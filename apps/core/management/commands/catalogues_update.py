"""``manage.py catalogues_update``: add every marked string to the French, Spanish and Russian catalogues."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.core.catalogues import DOMAINS, MAKEMESSAGES_OPTIONS, TRANSLATED_LANGUAGES


class Command(BaseCommand):
    help = "Extract marked strings into locale/{fr,es,ru}/LC_MESSAGES/{django,djangojs}.po (needs GNU gettext)."

    def handle(self, *args: Any, **options: Any) -> None:
        for domain in DOMAINS:
            call_command(
                "makemessages",
                locale=list(TRANSLATED_LANGUAGES),
                domain=domain,
                verbosity=options["verbosity"],
                **MAKEMESSAGES_OPTIONS,
            )
