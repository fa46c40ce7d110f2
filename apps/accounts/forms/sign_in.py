"""Forms of signing in and of asking for a password link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from apps.mail.services import mail_enqueue

from ..roles import Role


class LoginForm(auth_forms.AuthenticationForm):
    """Username and password; one message for every failure, so it never tells whether an account exists."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": format_lazy(
            _(
                "The username or password is not correct. Check both (they are case-sensitive) and try again. "
                "After {limit} failed attempts, sign-in is blocked for a while."
            ),
            limit=settings.AXES_FAILURE_LIMIT,
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, also for accounts that have never set a password (invited users)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def get_users(self, email: str) -> Any:
        """Active people (not partner systems) with this e-mail address, with or without a usable password."""
        user_model = get_user_model()
        candidates = user_model._default_manager.filter(email__iexact=email, is_active=True).exclude(
            role=Role.PARTNER_SYSTEM
        )
        return (user for user in candidates if user.email.casefold() == email.casefold())

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Through the mail outbox, like every other e-mail: a slow mail server never holds the page. Written to
        the account the link is for (``context["user"]``), in its language, even when another account shares its
        address."""
        mail_enqueue(to=[context.get("user") or to_email], template="accounts/email/password_reset", context=context)
