"""Form for issuing an API token in the web UI."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from ..models import ApiToken, User

EXPIRY_CHOICES = [
    (days, format_lazy(ngettext_lazy("{days} day", "{days} days", days), days=days)) for days in (7, 30, 90, 180, 365)
]


class ApiTokenForm(forms.Form):
    """Who the token is for, its name, scopes and lifetime; ``user`` offers only the accounts the actor manages."""

    user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label=_("Account"),
        to_field_name="username",
        help_text=_(
            "The account the token acts as: yourself, or a partner-system account you manage. "
            "Another person issues their own tokens."
        ),
        empty_label=_("Choose an account"),
    )
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “nCEN import”."))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.READ],
        help_text=_("Read: GET requests. Write: create and change. Review: approve or return reports."),
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires in"),
        choices=EXPIRY_CHOICES,
        coerce=int,
        initial=90,
        help_text=_("The token stops working after this. Issue a new one before then."),
    )

    def __init__(self, *args: Any, holders: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = holders  # type: ignore[attr-defined]
        self.fields["user"].label_from_instance = _holder_label  # type: ignore[attr-defined]
        longest = settings.RILO_API_TOKEN_MAX_DAYS
        self.fields["expires_in_days"].choices = [  # type: ignore[attr-defined]
            (days, label) for days, label in EXPIRY_CHOICES if days <= longest
        ]


def _holder_label(user: User) -> str:
    role = user.get_role_display()
    where = user.tenant_label
    return f"{user.username} — {role}{f', {where}' if where else ''}"
