"""The form field of each input kind of the field catalogue (:mod:`apps.reports.catalogue`).

A catalogue field says its label, help text, input kind, vocabulary or choices and maximum length;
:func:`form_field` turns it into the Django form field that parses what was typed. No field is
required here: what a report needs is the domain's business (``apps.reports.validation``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import NOT_PROVIDED

from apps.core.forms import AnyLanguageDecimalField, AnyLanguageIntegerField, IsoDateField
from apps.core.languages import country_hint_lazy
from apps.reference.forms import TermChoiceField, TermMultipleChoiceField

from .. import catalogue
from ..models import Operation

BLANK = ("", "\N{EM DASH}")


def autocomplete(field: forms.Field, datalist_id: str, url: str) -> None:
    """A text input suggesting values from a <datalist> that htmx fills as the user types."""
    field.widget.attrs.update(
        {
            "list": datalist_id,
            "autocomplete": "off",
            "hx-get": url,
            "hx-trigger": "input changed delay:300ms",
            "hx-target": f"#{datalist_id}",
            "hx-swap": "innerHTML",
        }
    )


def _model_default(declared: catalogue.Field) -> Any:
    """The model field's default (``None`` when it has none): a choice with a default offers no blank."""
    default = getattr(catalogue.part(declared.part).model._meta.get_field(declared.name), "default", NOT_PROVIDED)
    return None if default is NOT_PROVIDED else default


def _choice(declared: catalogue.Field, common: dict[str, Any]) -> forms.Field:
    assert declared.choices is not None  # noqa: S101 (a "choice" field names its choices)
    default = _model_default(declared)
    if default is None:
        return forms.ChoiceField(choices=[BLANK, *declared.choices.choices], **common)
    return forms.ChoiceField(choices=declared.choices.choices, initial=default, **common)


def _term(declared: catalogue.Field, common: dict[str, Any]) -> forms.Field:
    assert declared.vocabulary is not None  # noqa: S101 (a "term" field names its vocabulary)
    queryset = declared.vocabulary.objects.active()  # type: ignore[attr-defined]
    if declared.kind == "terms":
        return TermMultipleChoiceField(
            queryset=queryset, to_field_name="code", widget=forms.CheckboxSelectMultiple, **common
        )
    return TermChoiceField(queryset=queryset, to_field_name="code", **common)


def form_field(declared: catalogue.Field) -> forms.Field:
    """The form field of one catalogue field (never required: the domain decides)."""
    common: dict[str, Any] = {"required": False, "label": declared.label}
    if declared.help_text:
        common["help_text"] = declared.help_text
    kind = declared.kind
    if kind in ("text", "hs_code"):
        return forms.CharField(max_length=declared.max_length, **common)
    if kind == "longtext":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if kind == "date":
        return IsoDateField(**common)
    if kind == "time":
        return forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), **common)
    if kind == "decimal":
        return AnyLanguageDecimalField(**common)
    if kind == "integer":
        return AnyLanguageIntegerField(**common)
    if kind == "boolean":
        return forms.BooleanField(**common)
    if kind == "choice":
        return _choice(declared, common)
    if kind in ("term", "terms"):
        return _term(declared, common)
    if kind == "country":
        common.setdefault("help_text", country_hint_lazy())
        return forms.CharField(
            max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off", "class": "input--short"}), **common
        )
    if kind == "operation":  # the form offers the operations its user may attach
        return forms.ModelChoiceField(queryset=Operation.objects.none(), to_field_name="code", **common)
    raise ValueError(f"No form field for the input kind {kind!r} of {declared.part}.{declared.name}.")


def form_fields(part: str) -> dict[str, forms.Field]:
    """The form fields of the catalogue's input fields of ``part``, in order (commodity attributes aside)."""
    return {declared.name: form_field(declared) for declared in catalogue.fields(part) if declared.kind != "attributes"}


def hidden_without_personal_rights(part: str) -> frozenset[str]:
    """Fields a user without personal-data rights neither sees nor sends (the catalogue's restricted fields)."""
    return frozenset(catalogue.names(part, restricted=True))
