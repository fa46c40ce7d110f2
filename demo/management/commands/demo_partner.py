"""``manage.py demo_partner``: run the demo partner's receiver ("Demo CEN") until stopped (``make demo`` does)."""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.exchange.models import PartnerSystem
from demo import DEMO_PARTNER_PORT
from demo.management.commands.seed_demo import refuse_unless_demo_seed_allowed
from demo.partner import DEMO_PARTNER_NAME, DemoPartner, demo_partner_secrets

SECRET_REFRESH_SECONDS = 5.0  # a secret rotated on the partner's page is picked up this soon


class Command(BaseCommand):
    help = "Run the demo partner's webhook receiver on loopback, with a page of the messages it received."

    def add_arguments(self, parser: CommandParser) -> None:
        default = int(os.environ.get("RILO_DEMO_PARTNER_PORT", DEMO_PARTNER_PORT))
        parser.add_argument("--port", type=int, default=default, help=f"Loopback port (default {default}).")

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        refuse_unless_demo_seed_allowed("demo_partner")
        try:
            secrets = demo_partner_secrets()
        except PartnerSystem.DoesNotExist as error:
            raise CommandError(f"{DEMO_PARTNER_NAME} is not registered: run seed_demo --partner-url first.") from error
        receiver = DemoPartner(secrets[0], port=port).start()
        self.stdout.write(f"{DEMO_PARTNER_NAME} receives at {receiver.url}; its page: {receiver.page_url}")
        try:
            while True:
                time.sleep(SECRET_REFRESH_SECONDS)
                receiver.secret = demo_partner_secrets()[0]
        except KeyboardInterrupt:
            pass
        finally:
            receiver.stop()
