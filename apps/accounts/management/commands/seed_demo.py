"""``manage.py seed_demo``: demo regions, administrations and one account per role (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.accounts.demo import DEMO_PASSWORD, seed_demo_accounts


class Command(BaseCommand):
    help = "Create the demo regions, administrations and accounts, and print their logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-accounts", action="store_true", help="Do not print the account table.")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = seed_demo_accounts()
        if options["quiet_accounts"]:
            return
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD})"))
        width = max(len(a.username) for a in accounts)
        role_width = max(len(a.role) for a in accounts)
        for account in accounts:
            line = f"  {account.username:<{width}}  {account.role:<{role_width}}  {account.scope}"
            if account.totp_secret:
                line += f"  [2FA secret {account.totp_secret}]"
            self.stdout.write(line)
        self.stdout.write(
            "RILO staff must enter a two-factor code: add the secret to an authenticator app, or run "
            "`manage.py totp_code USERNAME` (local settings only)."
        )
