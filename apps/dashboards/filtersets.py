"""The one set of filters of every panel, on the page and in the API (parsed by one form, kept in the URL).

:class:`StatisticsFilters` is what the selectors read. :meth:`StatisticsFilters.summarisable` says whether the
summary tables can answer it (whole months of seizure dates, at most one commodity category, administrations,
joint operation, state, a country with its role when no administration is named); any other filter (approval
dates, days within a month, commodity type, HS chapter, transport mode, detection method, concealment,
direction) is answered from the base tables, within a statement time limit, and the panel says so.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries

from apps.core.forms import IsoDateField
from apps.reports.choices import ReportStatus, RouteRole

SEIZURE, APPROVAL = "seizure", "approval"
PERIOD_BASES = ((SEIZURE, _("Seizure date")), (APPROVAL, _("Approval date")))
PREVIOUS_PERIOD, PREVIOUS_YEAR, NO_COMPARISON = "previous", "previous_year", "none"
COMPARISONS = (
    (PREVIOUS_PERIOD, _("Previous period of the same length")),
    (PREVIOUS_YEAR, _("Same period of the previous year")),
    (NO_COMPARISON, _("No comparison")),
)
COUNTRY_OF_SEIZURE = "seizure"
COUNTRY_ROLES = (
    (COUNTRY_OF_SEIZURE, pgettext_lazy("country role", "Seizure")),
    *((role.value, role.label) for role in RouteRole),
)
STATES = ((ReportStatus.APPROVED.value, _("Approved")), (ReportStatus.SUBMITTED.value, _("Submitted")))
DEFAULT_CURRENCY = "EUR"
# Filters on a report's or an item's attributes, which only the base tables answer (with their names in notes), but
# for the country with its role, which the region-wide summaries answer.
ATTRIBUTE_FILTERS = (
    ("commodity_type", _("commodity type")),
    ("hs_chapter", _("HS chapter")),
    ("country", _("country")),
    ("transport_mode", _("mode of transport")),
    ("detection_method", _("detection method")),
    ("concealment", _("concealment method")),
    ("direction", _("direction")),
)


# The report list's parameter (apps.reports.filtersets) of each filter that is one value there under another name
# or the same (dates, country, administrations and states are said otherwise: StatisticsFilters.report_list_query).
REPORT_LIST_PARAMETERS = {
    "category": "commodity_category",
    "commodity_type": "commodity_type",
    "hs_chapter": "hs_chapter",
    "transport_mode": "transport_mode",
    "detection_method": "detection_method",
    "concealment": "concealment",
    "direction": "direction",
    "operation": "operation",
}


def _countries() -> list[tuple[str, str]]:
    return list(countries)


class StatisticsFilterForm(forms.Form):
    """Parses and checks the filters' query parameters (the page renders it; the API reads its errors)."""

    period = forms.ChoiceField(label=_("Period on"), choices=PERIOD_BASES, required=False)
    date_from = IsoDateField(label=_("From"), required=False)
    date_to = IsoDateField(label=_("To"), required=False)
    compare = forms.ChoiceField(label=_("Compare with"), choices=COMPARISONS, required=False)
    category = forms.CharField(label=_("Commodity category"), max_length=32, required=False)
    commodity_type = forms.CharField(label=_("Commodity type"), max_length=32, required=False)
    hs_chapter = forms.RegexField(label=_("HS chapter"), regex=r"^\d{2}$", required=False)
    administration = forms.TypedMultipleChoiceField(label=_("Administration"), coerce=int, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=[("", "")], required=False)
    country_role = forms.ChoiceField(label=_("Country's role"), choices=COUNTRY_ROLES, required=False)
    transport_mode = forms.CharField(label=_("Mode of transport"), max_length=32, required=False)
    detection_method = forms.CharField(label=_("Detection method"), max_length=32, required=False)
    concealment = forms.CharField(label=_("Concealment method"), max_length=32, required=False)
    direction = forms.CharField(label=_("Direction"), max_length=32, required=False)
    operation = forms.CharField(label=_("Joint operation"), max_length=40, required=False)
    state = forms.MultipleChoiceField(label=_("State"), choices=STATES, required=False)
    currency = forms.RegexField(label=_("Currency of values"), regex=r"^[A-Z]{3}$", required=False)

    def __init__(
        self,
        *args: Any,
        administrations: list[tuple[int, str]] | None = None,
        submitted: bool = False,
        **kwargs: Any,
    ) -> None:
        """``administrations``: the choices (the reader's region's); ``submitted``: whether the reader may add
        submitted reports (the region's RILO staff); for the others the state is offered as approved only and a
        request for submitted reports is refused with a message."""
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["country"]).choices = [
            ("", pgettext_lazy("filter choice", "Any")),
            *_countries(),
        ]
        cast(forms.ChoiceField, self.fields["administration"]).choices = administrations or []
        self.submitted_allowed = submitted
        if not submitted:
            cast(forms.ChoiceField, self.fields["state"]).choices = [STATES[0]]
            self.fields["state"].error_messages["invalid_choice"] = _(
                "Only the region's RILO staff may count submitted reports: an administration's unreviewed reports "
                "are its own until approved. Leave the state at approved."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise ValidationError({"date_to": [_("The end of the period is before its start.")]})
        if data.get("country_role") and not data.get("country"):
            raise ValidationError({"country": [_("Choose the country the role applies to.")]})
        return data


@dataclass(frozen=True)
class StatisticsFilters:
    """The filters of every panel. Empty values filter nothing; ``states`` defaults to approved reports only."""

    period: str = SEIZURE
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    compare: str = PREVIOUS_PERIOD
    category: str = ""
    commodity_type: str = ""
    hs_chapter: str = ""
    administrations: tuple[int, ...] = ()
    country: str = ""
    country_role: str = COUNTRY_OF_SEIZURE
    transport_mode: str = ""
    detection_method: str = ""
    concealment: str = ""
    direction: str = ""
    operation: str = ""
    states: tuple[str, ...] = (ReportStatus.APPROVED.value,)
    currency: str = DEFAULT_CURRENCY

    @classmethod
    def from_query(
        cls, query: QueryDict | dict[str, Any], *, administrations: list[tuple[int, str]], submitted: bool = False
    ) -> StatisticsFilters:
        """Parse query parameters; ``administrations`` are the choices (the user's region's); ``submitted``: whether
        the user may add submitted reports. Raises ``ValidationError`` keyed by parameter for bad input."""
        form = StatisticsFilterForm(query, administrations=administrations, submitted=submitted)
        if not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        return cls.from_cleaned(form.cleaned_data)

    @classmethod
    def from_cleaned(cls, data: dict[str, Any]) -> StatisticsFilters:
        """From a valid :class:`StatisticsFilterForm`'s cleaned data."""
        return cls(
            period=data.get("period") or SEIZURE,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            compare=data.get("compare") or PREVIOUS_PERIOD,
            category=data.get("category") or "",
            commodity_type=data.get("commodity_type") or "",
            hs_chapter=data.get("hs_chapter") or "",
            administrations=tuple(sorted(set(data.get("administration") or ()))),
            country=data.get("country") or "",
            country_role=data.get("country_role") or COUNTRY_OF_SEIZURE,
            transport_mode=data.get("transport_mode") or "",
            detection_method=data.get("detection_method") or "",
            concealment=data.get("concealment") or "",
            direction=data.get("direction") or "",
            operation=data.get("operation") or "",
            states=tuple(sorted(set(data.get("state") or ()))) or (ReportStatus.APPROVED.value,),
            currency=data.get("currency") or DEFAULT_CURRENCY,
        )

    # --- what can answer it --------------------------------------------------------------------------

    def whole_months(self) -> bool:
        """Whether the period starts on a first and ends on a last day of a month (or is open)."""
        starts = self.date_from is None or self.date_from.day == 1
        ends = self.date_to is None or self.date_to.day == calendar.monthrange(self.date_to.year, self.date_to.month)[1]
        return starts and ends

    def base_only(self) -> list[str]:
        """The filters set that the summary tables cannot answer (empty: the summaries answer)."""
        reasons = []
        if self.period != SEIZURE and (self.date_from or self.date_to):
            reasons.append(str(_("approval dates")))
        if not self.whole_months():
            reasons.append(str(_("days within a month")))
        for name, label in ATTRIBUTE_FILTERS:
            if getattr(self, name) and name != "country":
                reasons.append(str(label))
        if self.country and self.administrations:
            # The rows per place are of the region's administrations together (apps.dashboards.models.RegionKey).
            reasons.append(str(_("a country with chosen administrations")))
        return reasons

    def place(self) -> str:
        """The country filter as the summaries' place key ('departure:TR'); '' without one."""
        return f"{self.country_role}:{self.country}" if self.country else ""

    def person_refusals(self) -> list[str]:
        """Why person-derived panels are not answered for these filters (empty: they are).

        Their small cells are suppressed; filters that cut the persons finer than a whole month of seizures of the
        region or of one administration would let the difference of two answers reveal a suppressed cell (a
        single day against its month, the region against all administrations but one, a transport mode against
        all of them), so only those coarse cuts are answered."""
        reasons = []
        if self.period != SEIZURE and (self.date_from or self.date_to):
            reasons.append(str(_("approval dates")))
        if not self.whole_months():
            reasons.append(str(_("days within a month")))
        if len(self.administrations) > 1:
            reasons.append(str(_("several administrations")))
        coarse = (("category", _("commodity category")), ("operation", _("joint operation")))
        for name, label in (*ATTRIBUTE_FILTERS, *coarse):
            if getattr(self, name):
                reasons.append(str(label))
        return reasons

    def summarisable(self) -> bool:
        return not self.base_only()

    # --- periods ------------------------------------------------------------------------------------

    def with_period(self, date_from: dt.date | None, date_to: dt.date | None) -> StatisticsFilters:
        return replace(self, date_from=date_from, date_to=date_to)

    def comparison(self) -> StatisticsFilters | None:
        """The same filters over the comparison period; None without a closed period or comparison."""
        if self.compare == NO_COMPARISON or self.date_from is None or self.date_to is None:
            return None
        if self.compare == PREVIOUS_YEAR:
            return self.with_period(_years_before(self.date_from, 1), _years_before(self.date_to, 1))
        if self.whole_months():  # whole months stay whole months: the same number of them, just before
            months = (self.date_to.year - self.date_from.year) * 12 + self.date_to.month - self.date_from.month + 1
            start = _months_before(self.date_from, months)
            return self.with_period(start, self.date_from - dt.timedelta(days=1))
        length = self.date_to - self.date_from
        end = self.date_from - dt.timedelta(days=1)
        return self.with_period(end - length, end)

    # --- links --------------------------------------------------------------------------------------

    def to_query(self) -> QueryDict:
        """The filters as query parameters (only those set), for a URL that reproduces the view."""
        query = QueryDict(mutable=True)
        defaults = StatisticsFilters()
        for name in ("period", "compare", "category", "commodity_type", "hs_chapter", "country", "transport_mode",
                     "detection_method", "concealment", "direction", "operation", "currency"):  # fmt: skip
            value = getattr(self, name)
            if value and value != getattr(defaults, name):
                query[name] = value
        if self.country and self.country_role != COUNTRY_OF_SEIZURE:
            query["country_role"] = self.country_role
        for name in ("date_from", "date_to"):
            if value := getattr(self, name):
                query[name] = value.isoformat()
        query.setlist("administration", [str(pk) for pk in self.administrations])
        if self.states != defaults.states:
            query.setlist("state", list(self.states))
        return query

    def report_list_query(self, **row: str) -> QueryDict:
        """The report list's filter parameters (apps.reports.filtersets) that select exactly the reports these
        filters count (every filter has its equivalent there; counted reports are never duplicates), narrowed to
        one row of a panel (``row``: the list's parameter names and values, e.g. ``transport_mode="3"``)."""
        query = QueryDict(mutable=True)
        start, end = ("date_from", "date_to") if self.period == SEIZURE else ("approved_from", "approved_to")
        if self.date_from:
            query[start] = self.date_from.isoformat()
        if self.date_to:
            query[end] = self.date_to.isoformat()
        for name, parameter in REPORT_LIST_PARAMETERS.items():
            if value := getattr(self, name):
                query[parameter] = value
        if self.country and self.country_role == COUNTRY_OF_SEIZURE:
            query["country_of_seizure"] = self.country
        elif self.country:
            query["route_country"] = self.country
            query["route_role"] = self.country_role
        query.setlist("administration", [str(pk) for pk in self.administrations])
        query.setlist("status", list(self.states))
        query["duplicates"] = "exclude"
        for name, value in row.items():
            query[name] = value
        return query

    def cache_key(self) -> str:
        return self.to_query().urlencode()


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)
