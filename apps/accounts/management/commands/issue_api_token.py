"""``manage.py issue_api_token USERNAME --scopes read,write [--name N] [--days D]``: prints a new token once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apps.accounts.models import ApiToken, User
from apps.accounts.services import token_issue
from apps.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Issue an API token for an account and print it (it is shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--scopes",
            default=ApiToken.Scope.READ,
            help="Comma-separated scopes among read, write, review (default: read).",
        )
        parser.add_argument("--name", default="", help="What the token is for (default: 'issued by command').")
        parser.add_argument(
            "--days",
            type=int,
            default=settings.RILO_API_TOKEN_DEFAULT_DAYS,
            help=f"Days until it expires (default {settings.RILO_API_TOKEN_DEFAULT_DAYS}, "
            f"at most {settings.RILO_API_TOKEN_MAX_DAYS}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No account is named {options['username']!r}.") from None
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        try:
            token, plaintext = token_issue(
                user=user,
                name=options["name"] or "issued by command",
                scopes=scopes,
                expires_at=timezone.now() + timedelta(days=options["days"]),
                actor=None,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stderr.write(
            f"Issued {token.display_prefix}… for {user.username}: scopes {', '.join(token.scopes)}, "
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC. Store it now: it is not shown again."
        )
        self.stdout.write(plaintext)
