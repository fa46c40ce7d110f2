"""Filters of the audit log page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.forms import IsoDateField


class AuditFilterForm(forms.Form):
    """What an auditor may narrow the log by; every field is optional."""

    action = forms.CharField(
        required=False,
        max_length=64,
        label=_("Action"),
        help_text=_('e.g. "party.read" or "report." for all report actions.'),
    )
    object_uuid = forms.UUIDField(required=False, label=_("Report or object identifier (UUID)"))
    since = IsoDateField(required=False, label=_("From (date)"))
    until = IsoDateField(required=False, label=_("Before (date)"))

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since >= until:
            self.add_error("until", _("Give a date after the start date."))
        return cleaned
