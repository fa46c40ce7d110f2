"""The one FilterSet of reports, shared by the list pages and the API.

It parses and validates the query parameters (and renders the filter form); the filtering itself is
the domain's :func:`apps.reports.selectors.report_filter`, applied to a queryset that is already
restricted to what the user may see.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries

from apps.core.actor import Actor
from apps.core.forms import IsoDateField
from apps.core.widgets import QuickSelect
from apps.reference.forms import TermFilter
from apps.reference.models import (
    CommodityCategory,
    CommodityType,
    ConcealmentMethod,
    DetectionMethod,
    Direction,
    TransportMode,
)
from apps.tenancy.models import Administration

from .choices import ORDERING_CHOICES, ReportStatus, RouteRole
from .models import Report
from .selectors import report_filter


def _country_choices() -> list[tuple[str, str]]:
    # A callable: each request's FilterSet and form deep-copy their choices, and 250 countries cost more than
    # the rest of the filtering.
    return list(countries)


class _IsoDateFilter(django_filters.DateFilter):
    """A date as ``YYYY-MM-DD`` only: a shared link filters the same reports in every language."""

    field_class = IsoDateField


# Whether duplicates are listed (by default they are, marked): what the statistics count leaves them out.
DUPLICATES_CHOICES = (("exclude", _("Without duplicates")), ("only", _("Duplicates only")))


def _vocabulary_filter(model: Any, label: Any) -> django_filters.ModelChoiceFilter:
    """A filter on a term of a vocabulary, by its code (a drill-down from the dashboards names the code)."""
    return TermFilter(
        label=label,
        queryset=model.objects.active(),
        to_field_name="code",
        method="_parsed_only",
        empty_label=pgettext_lazy("filter choice", "Any"),
        widget=QuickSelect,
    )


class ReportFilterSet(django_filters.FilterSet):
    """Filters of report lists: text search, state, dates (of seizure, of approval), commodity (category, type, HS
    chapter, concealment), country (of seizure, on the route), transport, detection, direction, joint operation,
    administrations, duplicates. Every filter of the dashboards (apps.dashboards.filtersets) has its equivalent
    here, so that a drill-down lists exactly the reports a figure counted."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="_parsed_only",
        help_text=_('References, places, descriptions and brands. Use "quotes" for a phrase, -word to exclude.'),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("State"), choices=ReportStatus.choices, method="_parsed_only", widget=forms.CheckboxSelectMultiple
    )
    date_from = _IsoDateFilter(label=_("Seizure date from"), method="_parsed_only")
    date_to = _IsoDateFilter(label=_("Seizure date to"), method="_parsed_only")
    approved_from = _IsoDateFilter(label=_("Approved from"), method="_parsed_only")
    approved_to = _IsoDateFilter(label=_("Approved to"), method="_parsed_only")
    commodity_category = TermFilter(
        label=_("Commodity category"),
        queryset=CommodityCategory.objects.active(),
        to_field_name="code",
        method="_parsed_only",
        empty_label=pgettext_lazy("filter choice", "Any"),
        widget=QuickSelect,
    )
    commodity_type = _vocabulary_filter(CommodityType, _("Commodity type"))
    hs_chapter = django_filters.CharFilter(
        label=_("HS chapter"),
        method="_parsed_only",
        validators=[RegexValidator(r"^\d{2}$", _("Two digits: the chapter of the Harmonized System."))],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 2, "maxlength": 2}),
    )
    concealment = _vocabulary_filter(ConcealmentMethod, _("Concealment method"))
    country_of_seizure = django_filters.ChoiceFilter(
        label=_("Country of seizure"),
        choices=_country_choices,
        method="_parsed_only",
        empty_label=pgettext_lazy("filter choice", "Any"),
        widget=QuickSelect,
    )
    route_country = django_filters.ChoiceFilter(
        label=_("Country on the route"),
        choices=_country_choices,
        method="_parsed_only",
        empty_label=pgettext_lazy("filter choice", "Any"),
        widget=QuickSelect,
    )
    route_role = django_filters.ChoiceFilter(
        label=_("Country's role"),
        choices=RouteRole.choices,
        method="_parsed_only",
        empty_label=pgettext_lazy("filter choice", "Any"),
        widget=QuickSelect,
    )
    transport_mode = _vocabulary_filter(TransportMode, _("Mode of transport"))
    detection_method = _vocabulary_filter(DetectionMethod, _("Detection method"))
    direction = _vocabulary_filter(Direction, _("Direction"))
    operation = django_filters.CharFilter(
        label=_("Joint operation"), method="_parsed_only", widget=forms.TextInput(attrs={"size": 12})
    )
    administration = django_filters.ModelMultipleChoiceFilter(
        label=_("Administration"),
        queryset=Administration.objects.none(),
        method="_parsed_only",
        widget=forms.SelectMultiple,
    )
    duplicates = django_filters.ChoiceFilter(
        label=_("Duplicates"),
        choices=DUPLICATES_CHOICES,
        method="_parsed_only",
        empty_label=_("Listed, marked"),
        widget=QuickSelect,
    )
    ordering = django_filters.ChoiceFilter(
        label=_("Order"),
        choices=ORDERING_CHOICES,
        method="_parsed_only",
        empty_label=_("Newest seizure first"),
        widget=QuickSelect,
    )

    class Meta:
        model = Report
        fields: list[str] = []

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Report] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        if getattr(user, "is_rilo_staff", False):
            self.filters["administration"].queryset = Administration.objects.restrict(user, "view")
        else:
            # Administration staff see their own administration's reports: nothing to choose.
            del self.filters["administration"]

    def _parsed_only(self, queryset: QuerySet[Report], name: str, value: Any) -> QuerySet[Report]:
        """These values are applied together by the domain's report_filter (see filter_queryset)."""
        return queryset

    def filter_queryset(self, queryset: QuerySet[Report]) -> QuerySet[Report]:
        data = self.form.cleaned_data
        domain_filters: dict[str, Any] = {
            name: data.get(name) or ""
            for name in ("q", "country_of_seizure", "route_country", "route_role", "hs_chapter", "operation",
                         "duplicates", "ordering")
        }  # fmt: skip
        domain_filters["status"] = list(data.get("status") or [])
        for name in ("date_from", "date_to", "approved_from", "approved_to"):
            domain_filters[name] = data.get(name)
        for name in ("commodity_category", "commodity_type", "concealment", "transport_mode", "detection_method",
                     "direction"):  # fmt: skip
            if data.get(name) is not None:
                domain_filters[name] = [data[name].code]
        if administrations := data.get("administration"):
            domain_filters["administration"] = [administration.pk for administration in administrations]
        return super().filter_queryset(report_filter(queryset, domain_filters))


def list_filterset(data: Any, reports: QuerySet[Report], *, user: Actor, queue: bool) -> ReportFilterSet:
    """The filters of the report list, or of the review queue (which has no state or ordering to choose), for
    ``user``: what an export of either list applies, in a request or in a background job."""
    filterset = ReportFilterSet(data or None, queryset=reports, request=SimpleNamespace(user=user))
    if queue:
        for name in ("status", "ordering"):
            filterset.filters.pop(name, None)
            filterset.form.fields.pop(name, None)
    return filterset


def filters_used(data: Any, filterset: ReportFilterSet) -> dict[str, list[str]]:
    """The filters of ``filterset`` that ``data`` (a request's query, or a job's filters as a QueryDict) sets: each
    name, in order, with its non-empty values as typed. What a list page says is applied and what the audit event
    of an export records, the same in a request and in a background job."""
    used = {name: [value for value in data.getlist(name) if value] for name in data if name in filterset.filters}
    return {name: values for name, values in sorted(used.items()) if values}
