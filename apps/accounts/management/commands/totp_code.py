"""Print the current two-factor code of a user's confirmed device (demo convenience, DEBUG only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp

from apps.accounts.models import User
from apps.accounts.selectors import user_two_factor_device


class Command(BaseCommand):
    help = "Print the current TOTP code of USERNAME's confirmed device. Refuses to run unless DEBUG is on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "totp_code only runs with DEBUG on (local settings): it would defeat two-factor sign-in."
            )
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        device = user_two_factor_device(user=user)
        if device is None:
            raise CommandError(f"{user.username} has no confirmed two-factor device.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
