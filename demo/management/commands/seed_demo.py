"""``manage.py seed_demo``: demo regions, administrations and one account per role (idempotent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.accounts import DEMO_PASSWORD, seed_demo_accounts
from demo.partner import seed_demo_partner


def refuse_unless_demo_seed_allowed(command: str) -> None:
    """Seeding demo accounts (known passwords) or synthetic reports is for local and test settings only."""
    if not settings.RILO_ALLOW_DEMO_SEED:
        raise CommandError(
            f"{command} refuses to run here: it creates demo accounts with a published password and synthetic "
            "reports. It runs only with local or test settings (RILO_ALLOW_DEMO_SEED is off in these settings, "
            f"{settings.SETTINGS_MODULE})."
        )


class Command(BaseCommand):
    help = "Create the demo regions, administrations and accounts, and print their logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-accounts", action="store_true", help="Do not print the account table.")
        parser.add_argument("--reports", type=int, default=0, metavar="N", help="Also add N synthetic reports.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Add the --reports only when there are no reports yet."
        )
        parser.add_argument("--workers", type=int, default=2, help="Parallel report writers (default 2).")
        parser.add_argument(
            "--partner-url",
            default="",
            metavar="URL",
            help="Also register the demo partner (Demo CEN) with this webhook endpoint, or move it there.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_unless_demo_seed_allowed("seed_demo")
        accounts = seed_demo_accounts()
        if options["reports"] < 0:
            raise CommandError("--reports takes a positive number.")
        if options["reports"]:
            self._seed_reports(options["reports"], workers=options["workers"], if_empty=options["if_empty"])
        if options["partner_url"]:
            partner = seed_demo_partner(endpoint_url=options["partner_url"])
            self.stdout.write(f"{partner.name} registered at {partner.endpoint_url}")
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
            "RILO staff and national coordinators must enter a two-factor code: add the secret to an "
            "authenticator app, or run `manage.py totp_code USERNAME` (local settings only)."
        )

    def _seed_reports(self, count: int, *, workers: int, if_empty: bool) -> None:
        # Reports sit above accounts in the dependency order: imported only when asked for.
        from apps.reports.models import Report
        from demo.reports import seed_reports

        if if_empty and Report.objects.exists():
            self.stdout.write("Reports already present; none added.")
            return
        made, seconds = seed_reports(count=count, workers=workers)
        rate = made / seconds if seconds > 0 else float("inf")
        self.stdout.write(f"seeded {made} reports in {seconds:.2f} s ({rate:.0f} reports/s)")
