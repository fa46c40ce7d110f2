"""Forms of the administration pages. The region is never a field: it comes from the actor."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Administration


class AdministrationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Administration
        fields = ["name", "country", "code", "active"]
        labels = {"name": _("Name"), "country": _("Country"), "code": _("Code"), "active": _("Active")}
        help_texts = {
            "name": _("The customs administration's usual name, e.g. French Customs (DGDDI)."),
            "code": _("Short stable code: lower-case letters, digits and hyphens, e.g. fr-dgddi."),
            "active": _("Inactive administrations keep their users and reports, but get no new accounts."),
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "code": forms.TextInput(attrs={"autocomplete": "off"}),
        }


class AdministrationSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100, help_text=_("Name, code or country code."))
