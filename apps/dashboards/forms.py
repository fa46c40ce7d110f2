"""The dashboard page's filter form: the statistics filters (:mod:`apps.dashboards.filtersets`), with the region's
vocabularies offered as choices.

The fields, their parsing and their checks are :class:`~apps.dashboards.filtersets.StatisticsFilterForm`'s (the
API reads the same): this form only chooses the widgets a person needs (lists of the vocabularies' terms, date
pickers, check boxes). A code that is no longer offered (a term retired since the link was made) is still
accepted and filters as it did.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import pgettext_lazy

from apps.core.actor import Actor
from apps.core.widgets import QuickSelect
from apps.reference.models import (
    CommodityCategory,
    CommodityType,
    ConcealmentMethod,
    DetectionMethod,
    Direction,
    TransportMode,
)
from apps.reference.selectors import in_reading_order
from apps.reports.models import Operation
from apps.reports.selectors import joint_operations_attachable

from .filtersets import StatisticsFilterForm

# The filters whose values are a vocabulary's codes, and the vocabulary.
VOCABULARIES: dict[str, Any] = {
    "category": CommodityCategory,
    "transport_mode": TransportMode,
    "detection_method": DetectionMethod,
    "concealment": ConcealmentMethod,
    "direction": Direction,
}


def _any(choices: list[Any]) -> list[Any]:
    return [("", pgettext_lazy("filter choice", "Any")), *choices]


def _terms(model: Any) -> list[tuple[str, str]]:
    return [(term.code, term.localized_label) for term in in_reading_order(model.objects.active())]


def _types_by_category() -> list[Any]:
    """Commodity types grouped under their category (one query)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    types = CommodityType.objects.active().select_related("category")
    categories = in_reading_order({term.category for term in types})
    for category in categories:
        groups[category.localized_label] = []
    for term in in_reading_order(types):
        groups[term.category.localized_label].append((term.code, term.localized_label))
    return list(groups.items())


class DashboardFilterForm(StatisticsFilterForm):
    """The statistics filters as the page shows them; ``actor``: the reader, whose joint operations are offered."""

    def __init__(
        self,
        *args: Any,
        administrations: list[tuple[int, str]] | None = None,
        actor: Actor | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, administrations=administrations, **kwargs)
        for name in ("period", "compare", "country", "country_role"):
            self.fields[name].widget = QuickSelect(choices=self.fields[name].choices)  # type: ignore[attr-defined]
        for name, model in VOCABULARIES.items():
            self.fields[name].widget = QuickSelect(choices=_any(_terms(model)))
        self.fields["commodity_type"].widget = QuickSelect(choices=_any(_types_by_category()))
        # The joint operations of the reader's region and those open to every region (the reports' own rule):
        # never another region's names.
        operations = joint_operations_attachable(actor=actor) if actor is not None else Operation.objects.none()
        self.fields["operation"].widget = QuickSelect(choices=_any([(op.code, op.name) for op in operations]))
        self.fields["administration"].widget = forms.CheckboxSelectMultiple(
            choices=self.fields["administration"].choices  # type: ignore[attr-defined]
        )
        self.fields["state"].widget = forms.CheckboxSelectMultiple(
            choices=self.fields["state"].choices  # type: ignore[attr-defined]
        )
        self.fields["hs_chapter"].widget.attrs.update({"inputmode": "numeric", "maxlength": "2", "size": "2"})
        self.fields["currency"].widget.attrs.update({"maxlength": "3", "size": "3", "autocapitalize": "characters"})
