"""Form widgets shared by the apps' forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString


class QuickSelect(forms.Select):
    """Django's single ``<select>``, written straight from its choices instead of one template per option.

    The same markup, every value and label escaped by ``format_html``: a template per option made a select of
    the 250 countries the costliest part of a list page's filter form.
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            self._options(self.choices, chosen),
        )

    def _options(self, choices: Iterable[Any], chosen: set[str]) -> SafeString:
        html = SafeString()
        for option_value, option_label in choices:
            if isinstance(option_label, list | tuple):  # a group: (label, [(value, label), ...])
                inner = self._options(option_label, chosen)
                html += format_html('<optgroup label="{}">{}</optgroup>', option_value, inner)
                continue
            text = "" if option_value is None else str(option_value)
            selected = " selected" if text in chosen else ""
            html += format_html('<option value="{}"{}>{}</option>', text, selected, option_label)
        return html


ISO_DATE_FORMAT = "%Y-%m-%d"


class IsoDateInput(forms.DateInput):
    """A date picker (``type=date``) whose value is always ``YYYY-MM-DD``, whatever the page's language: the
    browser shows the date as its user reads them and sends it back in ISO."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE_FORMAT)
